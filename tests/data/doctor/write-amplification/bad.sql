-- expect: public.many
-- expect: public.big
CREATE TABLE many (id int PRIMARY KEY, a int, b int, c int, d int, e int, f int, g int, h int);
CREATE INDEX many_a ON many (a);
CREATE INDEX many_b ON many (b);
CREATE INDEX many_c ON many (c);
CREATE INDEX many_d ON many (d);
CREATE INDEX many_e ON many (e);
CREATE INDEX many_f ON many (f);
CREATE INDEX many_g ON many (g);
CREATE INDEX many_h ON many (h);
CREATE TABLE big (id int PRIMARY KEY, a int, b int);
INSERT INTO big SELECT i, i % 1000, i % 7 FROM generate_series(1, 50000) AS i;
CREATE INDEX big_a ON big (a, id);
CREATE INDEX big_b ON big (b, id);
CREATE INDEX big_ab ON big (a, b, id);
