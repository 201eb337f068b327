-- validate_session, the per-request query at index-authoring time, never says revoked = false:
-- the partial idx_sessions_access_token_jti cannot be proven, the unique index serves it (row 3b).
-- source: @48c75d0 services/auth.py:172-182
-- expect: index ix_sessions_access_token_jti
-- sample: SELECT access_token_jti FROM sessions WHERE status = 'active' ORDER BY id LIMIT 1
SELECT * FROM sessions
WHERE access_token_jti = $1 AND status = 'active' AND expires_at > now();
