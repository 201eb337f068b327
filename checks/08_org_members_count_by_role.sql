-- Last-owner check: how many members of an organization hold a role (row 8).
-- source: routers/v1/organizations.py:1022-1025; services/organization_member_service.py:98-104
-- expect: any-of idx_org_members_org_role, idx_org_members_full
-- sample: SELECT organization_id, 'owner' FROM organization_members WHERE role = 'owner' ORDER BY id LIMIT 1
SELECT count(*) FROM organization_members
WHERE organization_id = $1 AND role = $2 AND status = 'active';
