-- Organization routing by slug (row 9); idx_organizations_slug_active is identical to the unique ix_organizations_slug.
-- source: routers/v1/organizations.py:233; organizations/core.py:277; sso.py:301
-- expect: any-of idx_organizations_slug_active, ix_organizations_slug
-- sample: SELECT slug FROM organizations ORDER BY id LIMIT 1
SELECT * FROM organizations WHERE slug = $1;
