CREATE TABLE t (id int PRIMARY KEY, code text);
INSERT INTO t VALUES (1, 'x'), (2, 'y');
CREATE UNIQUE INDEX CONCURRENTLY t_code_key ON t (code);
CREATE TABLE parted (a int, b int) PARTITION BY RANGE (a);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE INDEX parted_a_idx ON ONLY parted (a);
CREATE INDEX parted_1_a_idx ON parted_1 (a);
ALTER INDEX parted_a_idx ATTACH PARTITION parted_1_a_idx;
