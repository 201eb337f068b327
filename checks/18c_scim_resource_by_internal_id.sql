-- Known gap: scim_resources.internal_id, the join key to users, has no index (spec 4.6).
-- expect: seqscan scim_resources
-- sample: SELECT internal_id FROM scim_resources ORDER BY id LIMIT 1
SELECT * FROM scim_resources WHERE internal_id = $1;
