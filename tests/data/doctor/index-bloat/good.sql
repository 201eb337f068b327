CREATE TABLE t (id int, a int) WITH (autovacuum_enabled = off);
INSERT INTO t SELECT i, i FROM generate_series(1, 200000) AS i;
DELETE FROM t WHERE id % 10 <> 0;
VACUUM t;
CREATE INDEX t_a ON t (a);
ALTER TABLE t ADD PRIMARY KEY (id);
-- a small bloated index is not worth a report (under 1 MB of bloat)
CREATE TABLE small (id int PRIMARY KEY) WITH (autovacuum_enabled = off);
INSERT INTO small SELECT generate_series(1, 20000);
DELETE FROM small WHERE id % 10 <> 0;
VACUUM ANALYZE small;
ANALYZE t;
