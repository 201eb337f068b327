-- Verify an email address (row 14).
-- source: routers/v1/auth.py:468-475
-- expect: any-of idx_email_verifications_token_active, ix_email_verifications_token
-- sample: SELECT token FROM email_verifications WHERE verified = false ORDER BY id LIMIT 1
SELECT * FROM email_verifications WHERE token = $1 AND verified = false AND expires_at > now();
