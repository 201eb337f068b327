-- Rebuild a bloated index.

REINDEX INDEX CONCURRENTLY idx_users_email;
REINDEX (VERBOSE) TABLE CONCURRENTLY users;
