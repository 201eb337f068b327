-- My organizations: memberships of one user joined to their organizations (row 7).
-- source: routers/v1/organizations.py:305-324
-- expect: index idx_org_members_user_org
-- sample: SELECT user_id FROM organization_members ORDER BY id LIMIT 1
SELECT o.*, m.role
FROM organization_members m
JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = $1;
