-- A pending invitation of an email address to an organization (row 26).
-- source: routers/v1/organizations.py:636-645; organizations/dependencies.py:139-144
-- expect: index idx_org_invitations_pending
-- sample: SELECT organization_id, email FROM organization_invitations WHERE status = 'pending' ORDER BY id LIMIT 1
SELECT * FROM organization_invitations
WHERE organization_id = $1 AND email = $2 AND status = 'pending' AND expires_at > now();
