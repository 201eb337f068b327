-- JSONB indexes (docs/plinto-schema.md §2, category JSONB): containment (@>) and key-existence (?) searches.

-- Searches in user metadata.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_metadata_gin
    ON users USING gin (user_metadata)
    WHERE user_metadata IS NOT NULL;

-- Searches in organization settings.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organizations_settings_gin
    ON organizations USING gin (settings)
    WHERE settings IS NOT NULL;

-- Attribute matching for ABAC policies.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_policies_attributes_gin
    ON policies USING gin (attributes)
    WHERE attributes IS NOT NULL;
