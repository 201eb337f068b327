-- Token refresh never filters revoked = false, so idx_sessions_refresh_token_jti is unusable (row 4).
-- source: @48c75d0 services/auth.py:209-214; core/jwt_manager.py:183-187
-- expect: index ix_sessions_refresh_token_jti
-- sample: SELECT refresh_token_jti FROM sessions WHERE status = 'active' ORDER BY id LIMIT 1
SELECT * FROM sessions
WHERE refresh_token_jti = $1 AND status = 'active' AND expires_at > now();
