SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN nickname text;
CREATE INDEX CONCURRENTLY idx_users_nickname ON users (nickname);
