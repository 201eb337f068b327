SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN nickname text;

SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN pronouns text;
-- 0 means "wait forever" again
SET lock_timeout = 0;
ALTER TABLE users RENAME COLUMN nickname TO display_name;
