-- expect: public.t.t_a_copy public.t.t_a
-- expect: public.t.t_lower_b_copy public.t.t_lower_b
-- expect: public.t.t_part_copy public.t.t_part
-- expect: public.t.t_inc_copy public.t.t_inc
-- expect: public.t.t_desc_copy public.t.t_desc
-- expect: public.t.t_d_copy public.t.t_d_key
-- expect: public.t.t_id_key public.t.t_pkey
-- expect: public.parted.parted_a_copy public.parted.parted_a
CREATE TABLE t (id int PRIMARY KEY, a int, b text, c int, d int);
CREATE INDEX t_a ON t (a);
CREATE INDEX t_a_copy ON t (a);
CREATE INDEX t_lower_b ON t (lower(b));
CREATE INDEX t_lower_b_copy ON t (lower(b));
CREATE INDEX t_part ON t (c) WHERE c > 0;
CREATE INDEX t_part_copy ON t (c) WHERE c > 0;
CREATE INDEX t_inc ON t (c) INCLUDE (a, b);
CREATE INDEX t_inc_copy ON t (c) INCLUDE (b, a);
CREATE INDEX t_desc ON t (c DESC, a);
CREATE INDEX t_desc_copy ON t (c DESC, a);
-- a unique index identical to a unique constraint built later: the constraint's stays
CREATE UNIQUE INDEX t_d_copy ON t (d);
ALTER TABLE t ADD CONSTRAINT t_d_key UNIQUE (d);
-- a unique constraint identical to the primary key's index
ALTER TABLE t ADD CONSTRAINT t_id_key UNIQUE (id);
-- on a partitioned table the parent speaks; its partitions' attached copies are not reported
CREATE TABLE parted (a int, b int) PARTITION BY RANGE (a);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE INDEX parted_a ON parted (a);
CREATE INDEX parted_a_copy ON parted (a);
