-- Known gap: deleting an event cascades to webhook_deliveries by event_id, which has no index (spec 4.6).
-- expect: seqscan webhook_deliveries
-- sample: SELECT event_id FROM webhook_deliveries ORDER BY id LIMIT 1
SELECT id FROM webhook_deliveries WHERE event_id = $1;
