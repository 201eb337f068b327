-- Critical: organizations (docs/plinto-schema.md §2, category C2).
-- Membership checks behind every RBAC decision, and routing by organization slug.

-- RBAC: is this user a member of this organization (and "my organizations").
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_org_members_user_org
    ON organization_members (user_id, organization_id);

-- Counting members of a role in an organization (e.g. the last-owner check).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_org_members_org_role
    ON organization_members (organization_id, role);

-- Routing: an organization by its slug.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_organizations_slug_active
    ON organizations (slug)
    WHERE slug IS NOT NULL;
