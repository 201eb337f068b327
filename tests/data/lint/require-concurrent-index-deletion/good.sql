DROP INDEX CONCURRENTLY IF EXISTS idx_users_email;

-- An index of a table this file created: nothing waits on it.
CREATE TABLE drafts (id bigint PRIMARY KEY, title text);
CREATE INDEX idx_drafts_title ON drafts (title);
DROP INDEX idx_drafts_title;
