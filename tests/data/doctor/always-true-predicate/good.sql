CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int);
-- b may be NULL: the predicate filters
CREATE INDEX t_b ON t (b) WHERE b IS NOT NULL;
CREATE INDEX t_a_positive ON t (a) WHERE a > 0;
-- not a top-level term
CREATE INDEX t_or ON t (b) WHERE a IS NOT NULL OR b > 0;
CREATE INDEX t_b_null ON t (a) WHERE b IS NULL;
