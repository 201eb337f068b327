-- Unlink guard: the user's accounts at other providers (row 16).
-- source: routers/v1/oauth.py:378-381
-- expect: index-on oauth_accounts
-- sample: SELECT user_id, provider FROM oauth_accounts ORDER BY id LIMIT 1
SELECT * FROM oauth_accounts WHERE user_id = $1 AND provider <> $2;
