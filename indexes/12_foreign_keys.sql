-- Foreign-key indexes (docs/plinto-schema.md §2, category FK).
-- Each supports lookups by the referencing column and the FK check when the referenced
-- row is deleted.

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_user_id
    ON sessions (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_oauth_accounts_user_id
    ON oauth_accounts (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_passkeys_user_id
    ON passkeys (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_magic_links_user_id
    ON magic_links (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_password_resets_user_id
    ON password_resets (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_email_verifications_user_id
    ON email_verifications (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organizations_owner_id
    ON organizations (owner_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_org_invitations_organization_id
    ON organization_invitations (organization_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_org_invitations_invited_by
    ON organization_invitations (invited_by);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_endpoints_user_id
    ON webhook_endpoints (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_endpoints_organization_id
    ON webhook_endpoints (organization_id);
