-- Critical: OAuth (docs/plinto-schema.md §2, category C5).

-- OAuth callback find-or-create: an account by provider and the provider's user id.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_oauth_accounts_provider_user_id
    ON oauth_accounts (provider, provider_user_id);

-- A user's linked accounts, optionally for one provider.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_oauth_accounts_user_provider
    ON oauth_accounts (user_id, provider);
