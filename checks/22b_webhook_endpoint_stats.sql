-- Endpoint statistics since a date (row 22).
-- source: services/webhooks.py:366-369
-- expect: index idx_webhook_deliveries_endpoint_status
-- sample: SELECT endpoint_id, now() - interval '7 days' FROM webhook_deliveries ORDER BY id LIMIT 1
SELECT status, count(*) FROM webhook_deliveries
WHERE endpoint_id = $1 AND created_at >= $2
GROUP BY status;
