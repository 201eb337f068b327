-- Admin: a user's sessions that are not revoked (row 31).
-- source: routers/v1/admin.py:330, 628
-- expect: index-on sessions
-- sample: SELECT user_id FROM sessions ORDER BY id LIMIT 1
SELECT * FROM sessions WHERE user_id = $1 AND revoked = false;
