-- Redeem a password reset token (row 13).
-- source: routers/v1/auth.py:398-405
-- expect: any-of idx_password_resets_token_active, ix_password_resets_token
-- sample: SELECT token FROM password_resets WHERE used = false ORDER BY id LIMIT 1
SELECT * FROM password_resets WHERE token = $1 AND used = false AND expires_at > now();
