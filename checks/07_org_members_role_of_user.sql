-- RBAC: a user's role in one organization (row 7). The unique (organization_id, user_id) key serves it as well.
-- source: services/rbac_service.py:178-183; routers/v1/organizations.py:144-151
-- expect: any-of idx_org_members_user_org, idx_org_members_full, uq_org_member
-- sample: SELECT user_id, organization_id FROM organization_members ORDER BY id LIMIT 1
SELECT role FROM organization_members
WHERE user_id = $1 AND organization_id = $2 AND status = 'active'
LIMIT 1;
