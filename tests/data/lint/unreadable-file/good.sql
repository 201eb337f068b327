-- café (UTF-8)
CREATE INDEX CONCURRENTLY idx_users_email ON users (email);
