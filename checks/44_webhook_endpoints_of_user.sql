-- A user's webhook endpoints (row 44).
-- source: routers/v1/webhooks.py:225-228
-- expect: index idx_webhook_endpoints_user_id
-- sample: SELECT user_id FROM webhook_endpoints WHERE user_id IS NOT NULL ORDER BY id LIMIT 1
SELECT * FROM webhook_endpoints WHERE user_id = $1;
