SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users RENAME COLUMN nickname TO display_name;
