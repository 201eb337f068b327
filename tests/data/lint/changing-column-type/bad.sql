SET lock_timeout = '2s';
ALTER TABLE events ALTER COLUMN id TYPE bigint;
