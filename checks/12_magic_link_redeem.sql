-- Redeem a magic link (row 12); the unique token index is equivalent.
-- source: routers/v1/auth.py:588-596
-- expect: any-of idx_magic_links_token_active, ix_magic_links_token
-- sample: SELECT token FROM magic_links WHERE used = false ORDER BY id LIMIT 1
SELECT * FROM magic_links WHERE token = $1 AND used = false AND expires_at > now();
