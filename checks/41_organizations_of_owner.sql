-- Organizations a user owns (row 41).
-- source: routers/v1/users.py:368; admin.py:471
-- expect: index idx_organizations_owner_id
-- sample: SELECT owner_id FROM organizations ORDER BY id LIMIT 1
SELECT * FROM organizations WHERE owner_id = $1;
