-- Enterprise: audit (docs/plinto-schema.md §2, category E8).

-- Hash-chain tail and organization audit search, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_logs_org_created
    ON audit_logs (organization_id, created_at DESC)
    WHERE organization_id IS NOT NULL;

-- Audit events of a type across organizations, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_logs_event_type_created
    ON audit_logs (event_type, created_at DESC);
