"""The Plinto authentication schema: 17 tables, their keys, constraints and unique indexes.

None of the 45 catalog indexes: those belong to `plinto-db apply` (revision 0002).
Enum-like columns are varchar + CHECK with lowercase values (see the schema spec, section 1.0).

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "users",
    "organizations",
    "sessions",
    "organization_members",
    "organization_invitations",
    "activity_logs",
    "magic_links",
    "password_resets",
    "email_verifications",
    "oauth_accounts",
    "passkeys",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
    "scim_resources",
    "audit_logs",
    "policies",
)

STATEMENTS = (
    """
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email varchar(255) NOT NULL,
  email_verified boolean DEFAULT false,
  username varchar(50),
  password_hash varchar(255),
  first_name varchar(100), last_name varchar(100), display_name varchar(200),
  profile_image_url varchar(500), bio text, phone_number varchar(20), phone_verified boolean DEFAULT false,
  timezone varchar(50), locale varchar(10),
  status varchar(20) DEFAULT 'active' CHECK (status IN ('active','inactive','suspended','pending','deleted')),
  user_metadata jsonb DEFAULT '{}'::jsonb,
  tenant_id uuid,
  mfa_enabled boolean DEFAULT false, mfa_secret varchar(255), mfa_backup_codes jsonb DEFAULT '[]'::jsonb,
  is_admin boolean DEFAULT false,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  last_sign_in_at timestamptz, email_verified_at timestamptz
)
""",
    """
CREATE UNIQUE INDEX ix_users_email ON users(email)
""",
    """
CREATE UNIQUE INDEX ix_users_username ON users(username)
""",
    """
CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(200) NOT NULL,
  slug varchar(100) NOT NULL,
  description text, logo_url varchar(500),
  owner_id uuid NOT NULL REFERENCES users(id),
  settings jsonb DEFAULT '{}'::jsonb, org_metadata jsonb DEFAULT '{}'::jsonb,
  billing_email varchar(255), billing_plan varchar(50) DEFAULT 'free',
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now()
)
""",
    """
CREATE UNIQUE INDEX ix_organizations_slug ON organizations(slug)
""",
    """
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  access_token_jti varchar(255) NOT NULL,
  refresh_token_jti varchar(255) NOT NULL,
  ip_address varchar(50), user_agent varchar(500), device_name varchar(100),
  status varchar(20) DEFAULT 'active' CHECK (status IN ('active','expired','revoked')),
  revoked boolean DEFAULT false,
  created_at timestamptz DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_active_at timestamptz DEFAULT now(),
  last_activity_at timestamptz DEFAULT now(),
  revoked_at timestamptz
)
""",
    """
CREATE UNIQUE INDEX ix_sessions_access_token_jti ON sessions(access_token_jti)
""",
    """
CREATE UNIQUE INDEX ix_sessions_refresh_token_jti ON sessions(refresh_token_jti)
""",
    """
CREATE TABLE organization_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role varchar(50) DEFAULT 'member' CHECK (role IN ('owner','admin','member','viewer')),
  status varchar(50) NOT NULL DEFAULT 'active' CHECK (status IN ('active','inactive','pending','removed')),
  permissions jsonb DEFAULT '[]'::jsonb,
  invited_by uuid REFERENCES users(id),
  joined_at timestamptz DEFAULT now(),
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  CONSTRAINT uq_org_member UNIQUE (organization_id, user_id)
)
""",
    """
CREATE TABLE organization_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email varchar(255) NOT NULL,
  role varchar(50) DEFAULT 'member',
  permissions jsonb DEFAULT '[]'::jsonb,
  token varchar(255) NOT NULL,
  invited_by uuid NOT NULL REFERENCES users(id),
  accepted_by uuid REFERENCES users(id),
  status varchar(20) DEFAULT 'pending' CHECK (status IN ('pending','accepted','expired','revoked')),
  accepted_at timestamptz, created_at timestamptz DEFAULT now(), updated_at timestamptz,
  expires_at timestamptz NOT NULL
)
""",
    """
CREATE UNIQUE INDEX ix_organization_invitations_token ON organization_invitations(token)
""",
    """
CREATE TABLE activity_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  action varchar(100) NOT NULL,
  details jsonb DEFAULT '{}'::jsonb,
  ip_address varchar(50), user_agent varchar(500),
  created_at timestamptz DEFAULT now()
)
""",
    """
CREATE TABLE magic_links (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  token varchar(255) NOT NULL, redirect_url varchar(500),
  used boolean DEFAULT false, used_at timestamptz,
  created_at timestamptz DEFAULT now(), expires_at timestamptz NOT NULL
)
""",
    """
CREATE UNIQUE INDEX ix_magic_links_token ON magic_links(token)
""",
    """
CREATE TABLE password_resets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  token varchar(255) NOT NULL,
  used boolean DEFAULT false, used_at timestamptz,
  created_at timestamptz DEFAULT now(), expires_at timestamptz NOT NULL
)
""",
    """
CREATE UNIQUE INDEX ix_password_resets_token ON password_resets(token)
""",
    """
CREATE TABLE email_verifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  token varchar(255) NOT NULL, email varchar(255) NOT NULL,
  verified boolean DEFAULT false, verified_at timestamptz,
  created_at timestamptz DEFAULT now(), expires_at timestamptz NOT NULL
)
""",
    """
CREATE UNIQUE INDEX ix_email_verifications_token ON email_verifications(token)
""",
    """
CREATE TABLE oauth_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  provider varchar(20) NOT NULL CHECK (provider IN ('google','github','microsoft','apple','discord','twitter','linkedin')),
  provider_user_id varchar(255) NOT NULL,
  provider_email varchar(255), access_token text, refresh_token text, token_expires_at timestamptz,
  provider_data jsonb DEFAULT '{}'::jsonb,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  CONSTRAINT unique_provider_account UNIQUE (provider, provider_user_id)
)
""",
    """
CREATE TABLE passkeys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id),
  credential_id varchar(500) NOT NULL UNIQUE,
  public_key text NOT NULL, sign_count integer DEFAULT 0,
  name varchar(100), authenticator_attachment varchar(50),
  created_at timestamptz DEFAULT now(), last_used_at timestamptz
)
""",
    """
CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users(id) ON DELETE CASCADE,
  organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  url varchar(500) NOT NULL, secret varchar(255) NOT NULL,
  events text[] NOT NULL,
  is_active boolean DEFAULT true, description varchar(500), headers jsonb,
  max_retries integer DEFAULT 3, retry_delay integer DEFAULT 60,
  success_count integer DEFAULT 0, failure_count integer DEFAULT 0,
  last_success_at timestamptz, last_failure_at timestamptz,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now()
)
""",
    """
CREATE TABLE webhook_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type varchar(100) NOT NULL,
  data jsonb NOT NULL,
  user_id uuid, organization_id uuid,
  created_at timestamptz DEFAULT now()
)
""",
    """
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id uuid NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
  event_type varchar(100) NOT NULL,
  status varchar(50) DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed','retrying')),
  attempts integer DEFAULT 0,
  request_headers jsonb, request_body jsonb,
  response_status integer, response_headers jsonb, response_body text,
  scheduled_at timestamptz, delivered_at timestamptz, next_retry_at timestamptz,
  error_message text,
  created_at timestamptz DEFAULT now()
)
""",
    """
CREATE TABLE scim_resources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  scim_id varchar(255) NOT NULL UNIQUE,
  resource_type varchar(50) NOT NULL CHECK (resource_type IN ('User','Group')),
  internal_id uuid NOT NULL,
  last_synced_at timestamptz, sync_status varchar(50) DEFAULT 'synced',
  raw_attributes jsonb,
  created_at timestamptz DEFAULT now(), updated_at timestamptz,
  CONSTRAINT uq_org_scim_id UNIQUE (organization_id, scim_id)
)
""",
    """
CREATE TABLE audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid REFERENCES users(id),
  service_account_id uuid,
  ip_address varchar(45), user_agent text,
  event_type varchar(50) NOT NULL,
  event_name varchar(100) NOT NULL,
  resource_type varchar(50), resource_id varchar(255),
  event_data jsonb, changes jsonb,
  previous_hash varchar(64), current_hash varchar(64) NOT NULL,
  compliance_tags text[] DEFAULT '{}',
  retention_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
)
""",
    """
CREATE TABLE policies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  organization_id uuid REFERENCES organizations(id),
  name varchar(255) NOT NULL, description text, version integer DEFAULT 1,
  rules jsonb NOT NULL DEFAULT '{}'::jsonb,
  effect varchar(10) DEFAULT 'allow' CHECK (effect IN ('allow','deny')),
  priority integer DEFAULT 0, enabled boolean DEFAULT true,
  target_type varchar(50), target_id varchar(255),
  resource_type varchar(100), resource_pattern varchar(500),
  actions jsonb, conditions jsonb,
  attributes jsonb,
  compiled_wasm text,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(), expires_at timestamptz
)
""",
)

EXISTING_TABLES = """
SELECT c.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = ANY(%(names)s)
ORDER BY c.relname
"""


def upgrade() -> None:
    from plinto_db.server.migrate import SchemaConflict

    bind = op.get_bind()
    taken = [
        row[0] for row in bind.exec_driver_sql(EXISTING_TABLES, {"names": list(TABLES)}).fetchall()
    ]
    if taken:
        schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
        raise SchemaConflict(
            f"schema {schema!r} already has {len(taken)} of the Plinto tables "
            f"({', '.join(taken)}) but no plinto-db revision: migrate into an empty database "
            "or schema, or drop those tables first"
        )
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f'DROP TABLE IF EXISTS "{table}"')
