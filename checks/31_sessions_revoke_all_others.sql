-- Revoke all my other sessions (row 31).
-- source: routers/v1/sessions.py:244-248
-- expect: any-of idx_sessions_user_id, idx_sessions_management, idx_sessions_user_status
-- sample: SELECT user_id, access_token_jti FROM sessions ORDER BY id LIMIT 1
SELECT id FROM sessions
WHERE user_id = $1 AND revoked = false AND access_token_jti <> $2;
