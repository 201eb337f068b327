-- An organization's invitations in one status, newest first (row 42).
-- source: routers/v1/organizations.py:785-790, 842
-- expect: any-of idx_org_invitations_organization_id, idx_org_invitations_pending
-- sample: SELECT organization_id, 'accepted' FROM organization_invitations ORDER BY id LIMIT 1
SELECT * FROM organization_invitations
WHERE organization_id = $1 AND status = $2
ORDER BY created_at DESC;
