CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int, d text);
-- a different predicate
CREATE INDEX t_a ON t (a);
CREATE INDEX t_a_b_partial ON t (a, b) WHERE c > 0;
-- an INCLUDE column the wide index lacks
CREATE INDEX t_b_inc ON t (b) INCLUDE (c);
CREATE INDEX t_b_a ON t (b, a);
-- orderings no single scan direction of the wide index gives
CREATE INDEX t_c_mixed ON t (c, a DESC);
CREATE INDEX t_c_a_b ON t (c, a, b);
-- another operator class or collation
CREATE INDEX t_d_pattern ON t (d text_pattern_ops);
CREATE INDEX t_d_c ON t (d COLLATE "C");
CREATE INDEX t_d_id ON t (d, id);
-- a unique index enforces something: never the one to drop
CREATE UNIQUE INDEX t_id_a ON t (id, a);
CREATE INDEX t_id_a_b ON t (id, a, b);
-- a hash index is not served by a btree prefix
CREATE INDEX t_c_hash ON t USING hash (c);
-- exact duplicates are duplicate-index's; the same key as a unique index is duplicates-unique-key's
CREATE INDEX t_dup_1 ON t (d, b);
CREATE INDEX t_dup_2 ON t (d, b);
CREATE TABLE u (id int PRIMARY KEY);
CREATE INDEX u_pk_copy ON u (id);
