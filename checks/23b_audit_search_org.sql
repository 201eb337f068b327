-- Audit search in one organization over a time window (row 23).
-- source: core/audit_logger.py:236-271
-- expect: index idx_audit_logs_org_created
-- sample: SELECT organization_id, now() - interval '7 days' FROM audit_logs WHERE organization_id IS NOT NULL ORDER BY id LIMIT 1
SELECT * FROM audit_logs
WHERE organization_id = $1 AND created_at >= $2
ORDER BY created_at DESC
LIMIT 50 OFFSET 0;
