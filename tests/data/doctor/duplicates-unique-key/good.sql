CREATE TABLE t (
  id int PRIMARY KEY, email text NOT NULL, status text, code text, deleted_at timestamptz,
  a int, b int, CONSTRAINT t_ab UNIQUE (a, b)
);
CREATE UNIQUE INDEX t_email ON t (email);
-- another operator class serves other queries (LIKE 'x%'): not a copy for lookups
CREATE INDEX t_email_pattern ON t (email text_pattern_ops);
-- the unique key is not leading
CREATE INDEX t_status_email ON t (status, email);
-- a partial unique index says nothing about the rows outside its predicate
CREATE UNIQUE INDEX t_code_live ON t (code) WHERE deleted_at IS NULL;
CREATE INDEX t_code ON t (code);
-- a leading prefix of a unique key is not unique
CREATE INDEX t_a ON t (a);
-- a GIN index is not a lookup copy
CREATE INDEX t_email_trgm ON t USING gin (to_tsvector('simple', email));
