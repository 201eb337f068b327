-- Rebuild a bloated index.

REINDEX INDEX idx_users_email;
