-- expect: public.t.t_a public.t.t_a_b_c public.t.t_a_b
-- expect: public.t.t_a_b public.t.t_a_b_c
-- expect: public.t.t_c_desc public.t.t_c_d
-- expect: public.t.t_p public.t.t_p_wide
-- expect: public.t.t_inc public.t.t_d_a
-- expect: public.t.t_expr public.t.t_expr_a
-- expect: public.t.t_mixed public.t.t_mixed_wide
CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int, d text);
CREATE INDEX t_a ON t (a);
CREATE INDEX t_a_b ON t (a, b);
CREATE INDEX t_a_b_c ON t (a, b, c);
-- a btree scans backwards: (c DESC) is served by (c, d)
CREATE INDEX t_c_desc ON t (c DESC);
CREATE INDEX t_c_d ON t (c, d);
CREATE INDEX t_p ON t (b) WHERE c > 0;
CREATE INDEX t_p_wide ON t (b, a) WHERE c > 0;
-- an INCLUDE column the wide index has as a key still allows the same index-only scans
CREATE INDEX t_inc ON t (d) INCLUDE (a);
CREATE INDEX t_d_a ON t (d, a);
CREATE INDEX t_expr ON t (lower(d));
CREATE INDEX t_expr_a ON t (lower(d), a);
-- every key reversed is a backward scan
CREATE INDEX t_mixed ON t (b DESC, c);
CREATE INDEX t_mixed_wide ON t (b, c DESC, id);
