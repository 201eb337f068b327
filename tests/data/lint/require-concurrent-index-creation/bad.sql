-- An index on a table that already holds rows: writes wait for the whole build.
CREATE INDEX idx_users_email ON users (email);
