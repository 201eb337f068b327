-- validate_session_fast: the only shape that states every predicate of idx_sessions_access_token_jti (row 3).
-- source: @48c75d0 services/optimized_auth.py:62-69
-- expect: any-of idx_sessions_access_token_jti, ix_sessions_access_token_jti
-- sample: SELECT access_token_jti FROM sessions WHERE status = 'active' AND revoked = false ORDER BY id LIMIT 1
SELECT * FROM sessions
WHERE access_token_jti = $1 AND status = 'active' AND revoked = false AND expires_at > now();
