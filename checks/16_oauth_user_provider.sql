-- A user's account at one provider (row 16).
-- source: routers/v1/oauth.py:301-305, 363-367
-- expect: any-of idx_oauth_accounts_user_provider, idx_oauth_accounts_user_id
-- sample: SELECT user_id, provider FROM oauth_accounts ORDER BY id LIMIT 1
SELECT * FROM oauth_accounts WHERE user_id = $1 AND provider = $2;
