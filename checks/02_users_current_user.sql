-- get_current_user after a cache miss: an active user by id (row 2). The primary key is equivalent.
-- source: dependencies.py:193-198
-- expect: any-of idx_users_id_status, users_pkey
-- sample: SELECT id FROM users WHERE status = 'active' ORDER BY id LIMIT 1
SELECT * FROM users WHERE id = $1 AND status = 'active';
