CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX CONCURRENTLY events_at_idx ON events (at);
-- a leaf partition is an ordinary table: CONCURRENTLY works there
CREATE INDEX CONCURRENTLY events_2025_id_idx ON events_2025 (id);
CREATE INDEX CONCURRENTLY events_id_idx ON ONLY events (id);
