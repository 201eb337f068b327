-- expect: public.t.t_id_status public.t.t_pkey
-- expect: public.t.t_email_active public.t.t_email
-- expect: public.t.t_email_hash public.t.t_email
-- expect: public.t.t_ba public.t.t_ab
-- expect: public.t.t_a_b_id public.t.t_ab
-- expect: public.t.t_id_key public.t.t_pkey
CREATE TABLE t (
  id int PRIMARY KEY, email text NOT NULL, status varchar(20), a int, b int,
  CONSTRAINT t_ab UNIQUE (a, b)
);
CREATE UNIQUE INDEX t_email ON t (email);
CREATE INDEX t_id_status ON t (id, status) WHERE status = 'active';
CREATE INDEX t_email_active ON t (email) WHERE status = 'active';
CREATE INDEX t_email_hash ON t USING hash (email);
CREATE INDEX t_ba ON t (b, a);
CREATE UNIQUE INDEX t_a_b_id ON t (a, b, id);
-- two unique keys on one column: the primary key stays, the other is reported
ALTER TABLE t ADD CONSTRAINT t_id_key UNIQUE (id) INCLUDE (email);
