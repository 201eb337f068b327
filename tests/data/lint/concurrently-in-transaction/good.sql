BEGIN;
CREATE TABLE drafts (id bigint PRIMARY KEY, title text);
COMMIT;
CREATE INDEX CONCURRENTLY idx_users_email ON users (email);
