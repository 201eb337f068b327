CREATE TABLE t (id int PRIMARY KEY, email text, status varchar(20), k int, flag boolean);
CREATE INDEX t_email ON t (email) WHERE status = 'active';
CREATE INDEX t_status_not_deleted ON t (status) WHERE status <> 'deleted';
CREATE INDEX t_status_two ON t (status) WHERE status IN ('active', 'pending');
CREATE INDEX t_k_or ON t (k) WHERE k = 5 OR k = 6;
CREATE INDEX t_k_range ON t (k) WHERE k > 5;
CREATE INDEX t_flag_unknown ON t (flag) WHERE flag IS NOT NULL;
