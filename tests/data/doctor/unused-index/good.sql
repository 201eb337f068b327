-- wait-scanned: t_b
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (id int PRIMARY KEY, b int, c int, p_id int REFERENCES p);
CREATE INDEX t_b ON t (b);
-- never scanned, but unique, or supporting a foreign key: they work without scans
CREATE UNIQUE INDEX t_c ON t (c);
CREATE INDEX t_p ON t (p_id);
SET enable_seqscan = off;
SELECT count(*) FROM t WHERE b = 1;
