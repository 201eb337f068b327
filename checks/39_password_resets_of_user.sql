-- ORM cascade load of a deleted user's password resets (row 39).
-- expect: index idx_password_resets_user_id
-- sample: SELECT user_id FROM password_resets ORDER BY id LIMIT 1
SELECT * FROM password_resets WHERE user_id = $1;
