-- Compliance dashboard: latest events of one type across organizations (row 24).
-- source: compliance/dashboard.py:609, 668
-- expect: index idx_audit_logs_event_type_created
-- params: 'security'
SELECT * FROM audit_logs WHERE event_type = $1 ORDER BY created_at DESC LIMIT 20;
