-- A rerun after an interrupted build fails loudly on the INVALID leftover.
CREATE INDEX CONCURRENTLY idx_users_email ON users (email);
