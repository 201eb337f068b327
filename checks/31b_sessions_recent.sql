-- A user's most recent sessions (row 31).
-- source: routers/v1/sessions.py:301-303
-- expect: index-on sessions
-- sample: SELECT user_id FROM sessions ORDER BY id LIMIT 1
SELECT * FROM sessions WHERE user_id = $1 ORDER BY last_activity_at DESC LIMIT 10;
