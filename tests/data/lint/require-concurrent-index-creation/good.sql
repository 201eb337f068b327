-- Concurrently on an existing table; plainly on a table this file creates (it is empty).
CREATE INDEX CONCURRENTLY idx_users_email ON users (email);

CREATE TABLE audit_events (id bigint PRIMARY KEY, user_id bigint);
CREATE INDEX idx_audit_events_user ON audit_events (user_id);
