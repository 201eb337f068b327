-- HEAD refresh variant: refresh jti plus user id (row 4).
-- source: services/auth_service.py:343-347
-- expect: index ix_sessions_refresh_token_jti
-- sample: SELECT refresh_token_jti, user_id FROM sessions ORDER BY id LIMIT 1
SELECT * FROM sessions WHERE refresh_token_jti = $1 AND user_id = $2;
