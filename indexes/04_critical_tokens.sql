-- Critical: tokens and verification (docs/plinto-schema.md §2, category C4).
-- One-time tokens are looked up by value while still unused.

-- Magic-link sign-in: an unused link by token.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_magic_links_token_active
    ON magic_links (token)
    WHERE used = false;

-- Password reset: an unused reset by token.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_password_resets_token_active
    ON password_resets (token)
    WHERE used = false;

-- Email verification: a pending verification by token.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_email_verifications_token_active
    ON email_verifications (token)
    WHERE verified = false;
