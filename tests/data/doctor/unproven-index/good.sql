-- t_b is in the catalog but not built here: that is apply's business, not doctor's
CREATE TABLE t (id int PRIMARY KEY, a int, b int);
CREATE INDEX t_a ON t (a);
