-- SCIM single-resource lookup (row 18): the unique (organization_id, scim_id) serves it.
-- source: routers/v1/scim.py:323-338
-- expect: any-of uq_org_scim_id, scim_resources_scim_id_key
-- sample: SELECT scim_id, organization_id FROM scim_resources WHERE resource_type = 'User' ORDER BY id LIMIT 1
SELECT * FROM scim_resources
WHERE scim_id = $1 AND organization_id = $2 AND resource_type = 'User';
