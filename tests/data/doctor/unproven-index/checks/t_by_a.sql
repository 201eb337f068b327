-- Rows of t by a.
-- expect: index t_a
-- params: 1
SELECT * FROM t WHERE a = $1;
