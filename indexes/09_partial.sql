-- Partial indexes (docs/plinto-schema.md §2, category PART).

-- "My active sessions", most recently active first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_active_user
    ON sessions (user_id, last_active_at DESC)
    WHERE status = 'active' AND revoked = false;

-- A pending invitation for an email address in an organization.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_org_invitations_pending
    ON organization_invitations (organization_id, email)
    WHERE status = 'pending';

-- Active webhook endpoints of an organization (dispatch lookup).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_endpoints_active
    ON webhook_endpoints (organization_id, is_active)
    WHERE is_active = true;

-- Unverified users, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_unverified
    ON users (created_at DESC)
    WHERE email_verified = false;
