-- expect: public.t.t_a
-- wait-scanned: t_b
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int, p_id int REFERENCES p);
CREATE INDEX t_a ON t (a);
CREATE INDEX t_b ON t (b);
CREATE UNIQUE INDEX t_c ON t (c);
CREATE INDEX t_p ON t (p_id);
SET enable_seqscan = off;
SELECT count(*) FROM t WHERE b = 1;
