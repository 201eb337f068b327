-- Known gap: policy listing filters tenant_id, which no index covers (row 34; spec 4.7).
-- source: routers/v1/policies.py:84-94
-- expect: seqscan policies
-- sample: SELECT tenant_id, 'user' FROM policies ORDER BY id LIMIT 1
SELECT * FROM policies WHERE tenant_id = $1 AND target_type = $2 AND enabled;
