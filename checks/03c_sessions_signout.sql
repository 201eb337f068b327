-- Signout looks a session up by its access token alone (row 3c).
-- source: routers/v1/auth.py:334-336
-- expect: index ix_sessions_access_token_jti
-- sample: SELECT access_token_jti FROM sessions ORDER BY id LIMIT 1
SELECT * FROM sessions WHERE access_token_jti = $1;
