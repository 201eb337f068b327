-- expect: public.child.child_parent_id_fkey
-- expect: public.child.child_k
-- expect: public.parted.parted_parent_id_fkey
CREATE TABLE parent (id int PRIMARY KEY, k1 int, k2 int, UNIQUE (k1, k2));
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int REFERENCES parent ON DELETE CASCADE,
  k1 int, k2 int, other int,
  CONSTRAINT child_k FOREIGN KEY (k1, k2) REFERENCES parent (k1, k2)
);
-- the FK column, but not leading
CREATE INDEX child_other_parent ON child (other, parent_id);
-- a partial index whose predicate a lookup by parent_id does not imply
CREATE INDEX child_parent_partial ON child (parent_id) WHERE other > 0;
-- one column of a two-column key
CREATE INDEX child_k1 ON child (k1);
-- a partitioned table's FK: its partitions' clones are not reported again
CREATE TABLE parted (id int, parent_id int REFERENCES parent) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
