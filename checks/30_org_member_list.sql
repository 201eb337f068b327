-- Member list of an organization with the users' profiles (row 30).
-- source: routers/v1/organizations.py:497-507
-- expect: any-of idx_org_members_full, uq_org_member, idx_org_members_org_role
-- sample: SELECT organization_id FROM organization_members GROUP BY organization_id ORDER BY count(*), organization_id LIMIT 1
SELECT u.*, m.role, m.permissions, m.joined_at, m.invited_by
FROM users u
JOIN organization_members m ON m.user_id = u.id
WHERE m.organization_id = $1;
