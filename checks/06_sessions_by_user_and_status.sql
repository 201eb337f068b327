-- Per-user sessions in one status (row 6): the longer idx_sessions_management shares the prefix and is picked as often.
-- expect: any-of idx_sessions_user_status, idx_sessions_management
-- sample: SELECT user_id, 'active' FROM sessions WHERE status = 'active' ORDER BY id LIMIT 1
SELECT * FROM sessions WHERE user_id = $1 AND status = $2 AND expires_at > now();
