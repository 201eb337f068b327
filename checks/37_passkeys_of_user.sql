-- A user's passkeys (row 37).
-- source: routers/v1/passkeys.py:110, 256, 404
-- expect: index idx_passkeys_user_id
-- sample: SELECT user_id FROM passkeys ORDER BY id LIMIT 1
SELECT * FROM passkeys WHERE user_id = $1;
