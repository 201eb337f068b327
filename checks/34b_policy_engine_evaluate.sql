-- Known gap: policy evaluation for a user target (row 34; spec 4.7).
-- source: @48c75d0 services/policy_engine.py:132-172
-- expect: seqscan policies
-- sample: SELECT tenant_id, target_id FROM policies WHERE target_type = 'user' ORDER BY id LIMIT 1
SELECT * FROM policies
WHERE tenant_id = $1 AND target_type = 'user' AND target_id = $2 AND enabled
ORDER BY priority DESC;
