-- Critical: authentication (docs/plinto-schema.md §2, category C1).
-- Lookups on the sign-in path and the session checks of every authenticated request.

-- Sign-in, forgot-password and magic-link requests: find an active user by email.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email_status
    ON users (email, status)
    WHERE status = 'active';

-- get_current_user after a cache miss: an active user by primary key.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_id_status
    ON users (id, status)
    WHERE status = 'active';

-- Access-token validation: a live (active, not revoked) session by its access-token jti.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_access_token_jti
    ON sessions (access_token_jti)
    WHERE status = 'active' AND revoked = false;

-- Refresh: a live session by its refresh-token jti.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_refresh_token_jti
    ON sessions (refresh_token_jti)
    WHERE status = 'active' AND revoked = false;

-- Cleanup: sweep active sessions whose expiry has passed.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_expires_at
    ON sessions (expires_at)
    WHERE status = 'active';

-- Cleanup and per-user listings: a user's sessions by status and expiry.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_user_status
    ON sessions (user_id, status, expires_at);
