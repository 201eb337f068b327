-- Webhook dispatch: active endpoints of an organization subscribed to an event (row 27).
-- source: core/webhook_dispatcher.py:357-376; services/webhooks.py:150-158
-- expect: any-of idx_webhook_endpoints_active, idx_webhook_endpoints_organization_id
-- sample: SELECT events[1], organization_id FROM webhook_endpoints WHERE is_active AND organization_id IS NOT NULL ORDER BY id LIMIT 1
SELECT * FROM webhook_endpoints
WHERE is_active AND events @> ARRAY[$1]::text[] AND organization_id = $2;
