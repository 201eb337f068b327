CREATE TABLE parent (id int PRIMARY KEY, k1 int, k2 int, UNIQUE (k1, k2));
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int REFERENCES parent ON DELETE CASCADE,
  k1 int, k2 int, other int,
  CONSTRAINT child_k FOREIGN KEY (k1, k2) REFERENCES parent (k1, k2)
);
-- partial, but only on NOT NULL of the key: every FK lookup implies it
CREATE INDEX child_parent ON child (parent_id) WHERE parent_id IS NOT NULL;
-- the key's columns lead, in another order, with more after them
CREATE INDEX child_k2_k1 ON child (k2, k1, other);
CREATE TABLE parted (id int, parent_id int REFERENCES parent) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE INDEX parted_parent ON parted (parent_id);
-- a single-column hash index serves the lookup too
CREATE TABLE other_child (id int PRIMARY KEY, parent_id int REFERENCES parent);
CREATE INDEX other_child_parent ON other_child USING hash (parent_id);
-- a key declared on one partition is supported by the partitioned index's attached copy
CREATE TABLE parted2 (id int, parent_id int) PARTITION BY RANGE (id);
CREATE TABLE parted2_1 PARTITION OF parted2 FOR VALUES FROM (0) TO (10);
CREATE INDEX parted2_parent ON parted2 (parent_id);
ALTER TABLE parted2_1 ADD CONSTRAINT parted2_1_parent FOREIGN KEY (parent_id) REFERENCES parent;
