SET lock_timeout = '2s';
ALTER TABLE events ADD COLUMN id_new bigint;
-- a binary-compatible change, checked by hand:
-- plinto-db: ignore[changing-column-type]
ALTER TABLE events ALTER COLUMN name TYPE text;
