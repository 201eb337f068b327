-- Composite indexes (docs/plinto-schema.md §2, category COMP).

-- Intended for user profile lookups and updates.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_profile_lookup
    ON users (email, username, status, email_verified);

-- Member lists of an organization, with role and join date.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_org_members_full
    ON organization_members (organization_id, user_id, role, joined_at);

-- Session management: a user's sessions by status and expiry.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_management
    ON sessions (user_id, status, expires_at, created_at);
