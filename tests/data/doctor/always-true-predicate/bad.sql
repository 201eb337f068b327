-- expect: public.t.t_all_true
-- expect: public.t.t_one_term
-- expect: public.t.t_varchar
CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int, s varchar(20) NOT NULL);
CREATE INDEX t_all_true ON t (b) WHERE a IS NOT NULL;
CREATE INDEX t_one_term ON t (b) WHERE a IS NOT NULL AND b > 0;
CREATE INDEX t_varchar ON t (s) WHERE s IS NOT NULL;
