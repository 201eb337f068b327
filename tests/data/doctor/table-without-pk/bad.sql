-- expect: public.plain
-- expect: public.keyed
-- expect: public.parted
CREATE TABLE plain (a int);
CREATE TABLE keyed (a int NOT NULL, b int);
CREATE UNIQUE INDEX keyed_a ON keyed (a);
CREATE TABLE parted (a int) PARTITION BY RANGE (a);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
