-- The real "my active sessions" list filters revoked and expiry and sorts by last_activity_at, so
-- idx_sessions_active_user (status = 'active', last_active_at) is never used (row 25; spec 4.4).
-- source: routers/v1/sessions.py:109-113
-- expect: any-of idx_sessions_management, idx_sessions_user_status, idx_sessions_user_id
-- sample: SELECT user_id FROM sessions ORDER BY id LIMIT 1
SELECT * FROM sessions
WHERE user_id = $1 AND revoked = false AND expires_at > now()
ORDER BY last_activity_at DESC;
