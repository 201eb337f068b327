DROP INDEX IF EXISTS idx_users_email;
