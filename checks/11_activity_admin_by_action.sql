-- Admin activity feed filtered by action and a time window (row 11).
-- source: routers/v1/admin.py:563-587
-- expect: index idx_activity_logs_action_created
-- params: 'password_change', now() - interval '30 days', now(), 50, 0
SELECT * FROM activity_logs
WHERE action = $1 AND created_at BETWEEN $2 AND $3
ORDER BY created_at DESC
LIMIT $4 OFFSET $5;
