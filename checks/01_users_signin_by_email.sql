-- Sign-in, forgot-password and magic-link request: an active user by email (spec 3, row 1).
-- source: routers/v1/auth.py:236-238, :375, :549; services/oauth.py:289-292
-- expect: any-of idx_users_email_status, ix_users_email
-- sample: SELECT email FROM users WHERE status = 'active' ORDER BY email LIMIT 1
SELECT * FROM users WHERE email = $1 AND status = 'active';
