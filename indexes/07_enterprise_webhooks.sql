-- Enterprise: webhooks (docs/plinto-schema.md §2, category E7).

-- Events of a type, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_events_type_created
    ON webhook_events (type, created_at DESC);

-- Events of an organization by type.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_events_org_type
    ON webhook_events (organization_id, type)
    WHERE organization_id IS NOT NULL;

-- The dispatcher's retry queue: deliveries in a status, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_deliveries_status_created
    ON webhook_deliveries (status, created_at DESC);

-- An endpoint's deliveries, by status.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_deliveries_endpoint_status
    ON webhook_deliveries (endpoint_id, status);
