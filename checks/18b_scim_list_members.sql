-- SCIM user list: organization members with their SCIM resource (row 18).
-- source: routers/v1/scim.py:254-286
-- expect: index-on organization_members
-- sample: SELECT organization_id FROM scim_resources ORDER BY id LIMIT 1
SELECT u.id, u.email, s.scim_id
FROM organization_members m
JOIN users u ON u.id = m.user_id
LEFT JOIN scim_resources s
  ON s.internal_id = u.id AND s.resource_type = 'User' AND s.organization_id = $1
WHERE m.organization_id = $1
OFFSET 0 LIMIT 100;
