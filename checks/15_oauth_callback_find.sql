-- OAuth callback find-or-create (row 15); idx_oauth_accounts_provider_user_id duplicates unique_provider_account.
-- source: services/oauth.py:267-272
-- expect: any-of idx_oauth_accounts_provider_user_id, unique_provider_account
-- sample: SELECT provider, provider_user_id FROM oauth_accounts ORDER BY id LIMIT 1
SELECT * FROM oauth_accounts WHERE provider = $1 AND provider_user_id = $2;
