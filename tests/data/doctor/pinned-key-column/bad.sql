-- expect: public.t.t_email_status
-- expect: public.t.t_org_active
-- expect: public.t.t_org_not_flag
-- expect: public.t.t_gone
-- expect: public.t.t_n_k
-- expect: public.t.t_only_key
CREATE TABLE t (
  id int PRIMARY KEY, email text, status varchar(20), org int, is_active boolean,
  flag boolean, gone timestamptz, n int, k int
);
CREATE INDEX t_email_status ON t (email, status) WHERE status = 'active';
CREATE INDEX t_org_active ON t (org, is_active) WHERE is_active = true;
CREATE INDEX t_org_not_flag ON t (org, flag) WHERE NOT flag;
CREATE INDEX t_gone ON t (org, gone) WHERE gone IS NULL;
CREATE INDEX t_n_k ON t (n, k) WHERE k = 5 AND n > 0;
CREATE INDEX t_only_key ON t (is_active) WHERE is_active IS FALSE;
