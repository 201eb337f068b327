-- Webhook retry worker: due retries (row 21); next_retry_at is a heap filter.
-- source: core/webhook_dispatcher.py:290-300; services/webhook_enhanced.py:207-210
-- expect: index idx_webhook_deliveries_status_created
SELECT * FROM webhook_deliveries WHERE status = 'retrying' AND next_retry_at <= now();
