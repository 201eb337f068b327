-- How many passkeys a user has (row 37).
-- source: routers/v1/admin.py:341; routers/v1/oauth.py:450
-- expect: index idx_passkeys_user_id
-- sample: SELECT user_id FROM passkeys ORDER BY id LIMIT 1
SELECT count(*) FROM passkeys WHERE user_id = $1;
