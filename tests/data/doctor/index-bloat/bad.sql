-- expect: public.t.t_a
-- expect: public.t.t_pkey
CREATE TABLE t (id int PRIMARY KEY, a int) WITH (autovacuum_enabled = off);
INSERT INTO t SELECT i, i FROM generate_series(1, 200000) AS i;
CREATE INDEX t_a ON t (a);
DELETE FROM t WHERE id % 10 <> 0;
VACUUM ANALYZE t;
