SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN nickname text;
SET lock_timeout = 0;
CREATE INDEX CONCURRENTLY idx_users_nickname ON users (nickname);
