-- Deliveries of one endpoint, newest first: the prefix is usable, then a Sort (row 22).
-- source: routers/v1/webhooks.py:376-380
-- expect: index idx_webhook_deliveries_endpoint_status
-- sample: SELECT endpoint_id, 0, 20 FROM webhook_deliveries ORDER BY id LIMIT 1
SELECT * FROM webhook_deliveries
WHERE endpoint_id = $1
ORDER BY created_at DESC
OFFSET $2 LIMIT $3;
