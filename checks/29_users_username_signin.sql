-- Username sign-in cannot use idx_users_profile_lookup (email leads it): the unique username index serves it (row 29).
-- source: routers/v1/auth.py:241-245
-- expect: index ix_users_username
-- sample: SELECT username FROM users WHERE username IS NOT NULL ORDER BY id LIMIT 1
SELECT * FROM users WHERE username = $1 AND status = 'active';
