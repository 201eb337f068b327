-- Audit hash chain: the organization's latest hash, read on every audit insert (row 23).
-- source: core/audit_logger.py:334-340
-- expect: index idx_audit_logs_org_created
-- sample: SELECT organization_id FROM audit_logs WHERE organization_id IS NOT NULL ORDER BY id LIMIT 1
SELECT current_hash FROM audit_logs
WHERE organization_id = $1
ORDER BY created_at DESC
LIMIT 1;
