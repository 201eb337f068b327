-- FK check when a user is deleted: invitations the user sent (row 43).
-- expect: index idx_org_invitations_invited_by
-- sample: SELECT invited_by FROM organization_invitations ORDER BY id LIMIT 1
SELECT 1 FROM organization_invitations WHERE invited_by = $1;
