-- MFA: the user's latest MFA verification (row 10).
-- source: routers/v1/mfa.py:135-142
-- expect: index idx_activity_logs_user_created
-- sample: SELECT user_id FROM activity_logs WHERE action = 'mfa_verify' ORDER BY id LIMIT 1
SELECT * FROM activity_logs
WHERE user_id = $1 AND action IN ('mfa_verify', 'mfa_backup_code_used')
ORDER BY created_at DESC
LIMIT 1;
