-- Cleanup: mark active sessions past their expiry as expired (row 5). Plain EXPLAIN changes nothing;
-- with --analyze it runs inside a transaction that is rolled back.
-- source: @48c75d0 services/auth.py:243-247
-- expect: index idx_sessions_expires_at
UPDATE sessions SET status = 'expired' WHERE expires_at < now() AND status = 'active';
