-- Signup's duplicate check has no status filter, so the partial idx_users_email_status cannot serve it (row 1).
-- source: routers/v1/auth.py:155; services/auth_service.py:80
-- expect: any-of ix_users_email, idx_users_profile_lookup
-- params: 'nobody-yet@example.com'
SELECT id FROM users WHERE email = $1;
