-- expect: public.t.t_b
CREATE TABLE t (id int PRIMARY KEY, a int, b int);
CREATE INDEX t_a ON t (a);
CREATE INDEX t_b ON t (b);
