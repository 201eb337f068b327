-- Critical: activity logging (docs/plinto-schema.md §2, category C3).
-- Newest-first reads of the activity log.

-- A user's latest activity (e.g. the last MFA verification).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_activity_logs_user_created
    ON activity_logs (user_id, created_at DESC);

-- The admin feed filtered by action, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_activity_logs_action_created
    ON activity_logs (action, created_at DESC);
