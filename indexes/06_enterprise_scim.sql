-- Enterprise: SCIM (docs/plinto-schema.md §2, category E6).

-- Intended for SCIM lookups by external id stored in user metadata (a GIN index on a
-- jsonb expression; only containment queries on that expression can use it).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_user_metadata_external_id
    ON users USING gin ((user_metadata -> 'external_id'))
    WHERE user_metadata ? 'external_id';

-- SCIM resources of an organization by type.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scim_resources_org_type
    ON scim_resources (organization_id, resource_type)
    WHERE organization_id IS NOT NULL;
