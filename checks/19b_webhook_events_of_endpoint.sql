-- Events delivered to one endpoint, newest first (row 19's nearest real query).
-- source: routers/v1/webhooks.py:347-350
-- expect: index idx_webhook_deliveries_endpoint_status
-- sample: SELECT endpoint_id FROM webhook_deliveries ORDER BY id LIMIT 1
SELECT e.*
FROM webhook_deliveries d
JOIN webhook_events e ON e.id = d.event_id
WHERE d.endpoint_id = $1
ORDER BY e.created_at DESC
LIMIT 50;
