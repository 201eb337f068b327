CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- the table is new and empty: a plain CREATE INDEX builds it on every partition at once
CREATE INDEX events_at_idx ON events (at);
