"""`plinto-db seed` wall time against a server-side INSERT ... SELECT generate_series (issue 2).

Targets: `plinto-db seed --users 50000` within 2x of the baseline, and under 60 s on 2 cores.

The baseline writes the same number of rows (taken from the seed's own result) into the same
17 tables with comparable value widths, entirely inside the server: gen_random_uuid(), md5()
tokens, random() status mixes, parents picked from arrays of the parent ids. Two variants:

- `baseline`: the seed's loading protocol (one transaction: TRUNCATE, foreign keys dropped and
  re-added so they are validated in bulk, then the seed's VACUUM (ANALYZE) on two connections);
  only the row source differs.
- `baseline, per-row FK`: the foreign keys stay in place and fire per inserted row.

Each round runs the seed command (a real `plinto-db seed --reset` process) and the baselines,
interleaved; the script prints medians and ratios. It starts its own throw-away embedded
server (`plinto-db server start --data-dir <tmp>`, stopped at the end) unless --dsn is given
(a database is created there and dropped).

Usage: python benchmarks/seed_bench.py [--users 50000] [--history-per-user 16] [--rounds 3]
                                       [--dsn DSN]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))
from harness import plinto_db, start_server, stop_server, with_db  # noqa: E402
from timing import interleaved, print_table, summary  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCHEMA_SQL = REPO / "tests" / "data" / "spec" / "plinto-schema.sql"

USERS = "(SELECT array_agg(id) AS a, count(*)::bigint AS n FROM users) u"
PARENTS = """
(SELECT array_agg(id) AS a, count(*)::bigint AS n FROM users) u,
(SELECT array_agg(id) AS a, count(*)::bigint AS n FROM organizations) o"""

# {n} is the row count; every other value is computed by the server.
BASELINE_INSERTS: dict[str, str] = {
    "users": """
INSERT INTO users (id, email, email_verified, username, password_hash, first_name, last_name,
  display_name, phone_number, phone_verified, timezone, locale, status, user_metadata,
  mfa_enabled, mfa_secret, is_admin, created_at, updated_at, last_sign_in_at, email_verified_at)
SELECT gen_random_uuid(), 'user' || g || '@example.com', random() > 0.1, 'user' || g,
  '$2b$12$' || left(md5(g::text) || md5((-g)::text), 53), 'First' || g % 50, 'Last' || g % 45,
  'First' || g % 50 || ' Last' || g % 45,
  CASE WHEN random() < 0.3 THEN '+1555' || lpad((g % 10000000)::text, 7, '0') END,
  false, 'Europe/Berlin', 'en-US',
  CASE WHEN random() < 0.93 THEN 'active' WHEN random() < 0.6 THEN 'pending' ELSE 'inactive' END,
  CASE WHEN random() < 0.1
    THEN jsonb_build_object('external_id', 'ext-' || lpad(g::text, 8, '0'), 'provisioned_by',
                            'scim')
    ELSE '{}'::jsonb END,
  random() < 0.15, upper(md5(g::text)), false, now() - random() * interval '3 years', now(),
  now() - random() * interval '30 days', now() - random() * interval '3 years'
FROM generate_series(1, {n}::bigint) g""",
    "organizations": """
INSERT INTO organizations (id, name, slug, description, owner_id, settings, org_metadata,
  billing_email, billing_plan, created_at, updated_at)
SELECT gen_random_uuid(), 'Acme Labs ' || g, 'org-' || g, NULL, u.a[1 + (g * 7919) % u.n],
  '{"mfa_required": false, "sso_enabled": false, "session_ttl_hours": 24}',
  '{"industry": "saas"}', 'billing@org-' || g || '.example.com', 'free',
  now() - random() * interval '2 years', now()
FROM {users}, generate_series(1, {n}::bigint) g""",
    "organization_members": """
INSERT INTO organization_members (id, organization_id, user_id, role, status, permissions,
  invited_by, joined_at, created_at, updated_at)
SELECT gen_random_uuid(), o.a[1 + (CASE WHEN g <= u.n THEN g ELSE g + 1 END) % o.n],
  u.a[1 + g % u.n],
  CASE WHEN g <= o.n THEN 'owner' WHEN random() < 0.1 THEN 'admin' WHEN random() < 0.88
    THEN 'member' ELSE 'viewer' END,
  CASE WHEN random() < 0.95 THEN 'active' ELSE 'inactive' END, '[]',
  CASE WHEN random() < 0.7 THEN u.a[1 + (g * 31) % u.n] END,
  now() - random() * interval '2 years', now() - random() * interval '2 years', now()
FROM {parents}, generate_series(1, {n}::bigint) g""",
    "organization_invitations": """
INSERT INTO organization_invitations (id, organization_id, email, role, permissions, token,
  invited_by, accepted_by, status, accepted_at, created_at, updated_at, expires_at)
SELECT gen_random_uuid(), o.a[1 + g % o.n], 'invitee' || g || '@example.com', 'member', '[]',
  md5('inv' || g), u.a[1 + (g * 7919) % u.n],
  CASE WHEN g % 4 <> 0 THEN u.a[1 + (g * 31) % u.n] END,
  CASE WHEN g % 4 <> 0 THEN 'accepted' WHEN random() < 0.5 THEN 'pending' ELSE 'expired' END,
  CASE WHEN g % 4 <> 0 THEN now() - random() * interval '300 days' END,
  now() - random() * interval '1 year', now(), now() + random() * interval '7 days'
FROM {parents}, generate_series(1, {n}::bigint) g""",
    "sessions": """
INSERT INTO sessions (id, user_id, access_token_jti, refresh_token_jti, ip_address, user_agent,
  device_name, status, revoked, created_at, expires_at, last_active_at, last_activity_at,
  revoked_at)
SELECT gen_random_uuid(), u.a[1 + (g * 7919) % u.n], md5('a' || g), md5('r' || g),
  '203.0.' || g % 256 || '.' || g % 251,
  (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
         || 'Chrome/124.0 Safari/537.36',
         'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
         'plinto-sdk-python/1.4.2'])[1 + g % 3],
  'Chrome on Windows', s.status, s.status = 'revoked', c.t, c.t + interval '7 days', c.t, c.t,
  CASE WHEN s.status = 'revoked' THEN c.t + interval '1 hour' END
FROM {users}, generate_series(1, {n}::bigint) g,
  LATERAL (SELECT now() - random() * interval '30 days' AS t) c,
  LATERAL (SELECT CASE WHEN g % 20 < 5 THEN 'active' WHEN g % 20 < 17 THEN 'expired'
                  ELSE 'revoked' END AS status) s""",
    "magic_links": """
INSERT INTO magic_links (id, user_id, token, redirect_url, used, used_at, created_at, expires_at)
SELECT gen_random_uuid(), u.a[1 + (g * 7919) % u.n], md5('ml' || g),
  'https://app.example.com/dashboard', random() < 0.9, now() - random() * interval '1 year',
  now() - random() * interval '1 year', now() - random() * interval '1 year'
FROM {users}, generate_series(1, {n}::bigint) g""",
    "password_resets": """
INSERT INTO password_resets (id, user_id, token, used, used_at, created_at, expires_at)
SELECT gen_random_uuid(), u.a[1 + (g * 7919) % u.n], md5('pr' || g), random() < 0.6,
  now() - random() * interval '1 year', now() - random() * interval '1 year',
  now() - random() * interval '1 year'
FROM {users}, generate_series(1, {n}::bigint) g""",
    "email_verifications": """
INSERT INTO email_verifications (id, user_id, token, email, verified, verified_at, created_at,
  expires_at)
SELECT gen_random_uuid(), u.a[1 + g % u.n], md5('ev' || g), 'user' || g || '@example.com',
  random() < 0.87, now() - random() * interval '1 year', now() - random() * interval '1 year',
  now() - random() * interval '1 year'
FROM {users}, generate_series(1, {n}::bigint) g""",
    "oauth_accounts": """
INSERT INTO oauth_accounts (id, user_id, provider, provider_user_id, provider_email,
  access_token, refresh_token, token_expires_at, provider_data, created_at, updated_at)
SELECT gen_random_uuid(), u.a[1 + (g * 7919) % u.n],
  CASE WHEN random() < 0.6 THEN 'google' WHEN random() < 0.6 THEN 'github' ELSE 'microsoft' END,
  lpad(g::text, 20, '0'), 'user' || g || '@example.com', 'ya29.' || md5(g::text) || 'abcdefgh',
  CASE WHEN random() < 0.5 THEN '1//' || md5(g::text) END, now() - random() * interval '1 year',
  jsonb_build_object('login', 'user' || g, 'verified_email', true),
  now() - random() * interval '1 year', now()
FROM {users}, generate_series(1, {n}::bigint) g""",
    "passkeys": """
INSERT INTO passkeys (id, user_id, credential_id, public_key, sign_count, name,
  authenticator_attachment, created_at, last_used_at)
SELECT gen_random_uuid(), u.a[1 + (g * 7919) % u.n], md5('cred' || g),
  'pQECAyYgASFYI' || md5(g::text) || md5((-g)::text) || md5((g + 1)::text)
    || md5((g + 2)::text),
  (random() * 500)::int, 'YubiKey 5', 'platform', now() - random() * interval '1 year', now()
FROM {users}, generate_series(1, {n}::bigint) g""",
    "activity_logs": """
INSERT INTO activity_logs (id, user_id, action, details, ip_address, user_agent, created_at)
SELECT gen_random_uuid(), u.a[1 + (g * 7919) % u.n],
  (ARRAY['signin', 'signin', 'signin', 'signout', 'signout', 'mfa_verify', 'signup'])[1 + g % 7],
  '{"method": "password"}', '203.0.' || g % 256 || '.' || g % 251,
  (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
         || 'Chrome/124.0 Safari/537.36',
         'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
         'plinto-sdk-python/1.4.2'])[1 + g % 3],
  now() - random() * interval '3 years'
FROM {users}, generate_series(1, {n}::bigint) g""",
    "audit_logs": """
INSERT INTO audit_logs (id, organization_id, user_id, ip_address, user_agent, event_type,
  event_name, resource_type, resource_id, event_data, previous_hash, current_hash,
  compliance_tags, retention_until, created_at)
SELECT gen_random_uuid(), CASE WHEN g % 20 <> 0 THEN o.a[1 + g % o.n] END,
  u.a[1 + (g * 7919) % u.n], '203.0.' || g % 256 || '.' || g % 251,
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
    || 'Chrome/124.0 Safari/537.36',
  (ARRAY['login_success', 'logout', 'login_failed', 'access', 'modification', 'security',
         'administration'])[1 + g % 7], 'auth.login.success', NULL, NULL,
  '{"outcome": "success"}', md5(g::text) || md5((-g)::text),
  md5((g + 1)::text) || md5((-g - 1)::text), '{soc2}', now() + interval '7 years',
  now() - random() * interval '3 years'
FROM {parents}, generate_series(1, {n}::bigint) g""",
    "webhook_endpoints": """
INSERT INTO webhook_endpoints (id, user_id, organization_id, url, secret, events, is_active,
  max_retries, retry_delay, success_count, failure_count, last_success_at, created_at,
  updated_at)
SELECT gen_random_uuid(), u.a[1 + (g * 7919) % u.n], o.a[1 + g % o.n],
  'https://hooks.org-' || g || '.example.com/plinto/' || g, 'whsec_' || md5(g::text),
  '{user.created,user.updated,user.deleted}', random() < 0.8, 3, 60, 100, 1, now(),
  now() - random() * interval '1 year', now()
FROM {parents}, generate_series(1, {n}::bigint) g""",
    "webhook_events": """
INSERT INTO webhook_events (id, type, data, user_id, organization_id, created_at)
SELECT gen_random_uuid(), CASE WHEN random() < 0.7 THEN 'user.signed_in' ELSE 'user.updated' END,
  jsonb_build_object('user_id', u.a[1 + (g * 7919) % u.n], 'email',
                     'user' || g || '@example.com'),
  u.a[1 + (g * 7919) % u.n], CASE WHEN g % 20 <> 0 THEN o.a[1 + g % o.n] END,
  now() - random() * interval '30 days'
FROM {parents}, generate_series(1, {n}::bigint) g""",
    "webhook_deliveries": """
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts,
  request_body, response_status, scheduled_at, delivered_at, next_retry_at, error_message,
  created_at)
SELECT gen_random_uuid(), w.a[1 + g % w.n], e.a[1 + (g * 7919) % e.n], 'user.signed_in',
  CASE WHEN random() < 0.96 THEN 'delivered' ELSE 'failed' END, 1,
  '{"type": "user.signed_in"}', 200, now() - random() * interval '30 days',
  now() - random() * interval '30 days', NULL, NULL, now() - random() * interval '30 days'
FROM (SELECT array_agg(id) AS a, count(*)::bigint AS n FROM webhook_endpoints) w,
  (SELECT array_agg(id) AS a, count(*)::bigint AS n FROM webhook_events) e,
  generate_series(1, {n}::bigint) g""",
    "scim_resources": """
INSERT INTO scim_resources (id, organization_id, scim_id, resource_type, internal_id,
  last_synced_at, sync_status, raw_attributes, created_at, updated_at)
SELECT gen_random_uuid(), o.a[1 + g % greatest(1, o.n / 10)], md5('scim' || g)::uuid::text,
  CASE WHEN random() < 0.95 THEN 'User' ELSE 'Group' END, u.a[1 + (g * 7919) % u.n], now(),
  'synced', jsonb_build_object('userName', 'user' || g || '@example.com', 'active', true),
  now() - random() * interval '1 year', now()
FROM {parents}, generate_series(1, {n}::bigint) g""",
    "policies": """
INSERT INTO policies (id, tenant_id, organization_id, name, description, version, rules, effect,
  priority, enabled, target_type, target_id, resource_type, resource_pattern, actions,
  conditions, attributes, created_at, updated_at)
SELECT gen_random_uuid(), o.a[1 + g / 2 % o.n], o.a[1 + g / 2 % o.n], 'policy-' || g, NULL, 1,
  '{"allow_mfa_bypass": false}', 'allow', (random() * 100)::int, random() < 0.9, 'role',
  'admin', 'api', '/orgs/org-' || g || '/*', '["read", "write"]', '{"mfa": true}',
  CASE WHEN random() < 0.3 THEN '{"department": "eng", "clearance": 2}'::jsonb END,
  now() - random() * interval '1 year', now()
FROM (SELECT array_agg(id) AS a, count(*)::bigint AS n FROM organizations) o,
  generate_series(1, {n}::bigint) g""",
}


def create_schema(dsn: str) -> None:
    try:
        from plinto_db.server.migrate import upgrade

        upgrade(dsn, "0001")
    except ImportError:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA_SQL.read_text())


def run_seed_command(dsn: str, users: int, history: int) -> tuple[float, dict]:
    start = time.perf_counter()
    out = subprocess.run(
        [
            *plinto_db(),
            "seed",
            "--users",
            str(users),
            "--history-per-user",
            str(history),
            "--reset",
            "--format",
            "json",
            "--dsn",
            dsn,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, json.loads(out.stdout)


def run_baseline(dsn: str, rows: dict[str, int], *, bulk_foreign_keys: bool) -> float:
    from plinto_db.seed import finish, load
    from plinto_db.seed.run import TABLE_NAMES

    names = list(TABLE_NAMES)
    start = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        with conn.transaction():
            conn.execute(
                sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, names)))
            )
            keys = load.drop_foreign_keys(conn, names) if bulk_foreign_keys else []
            for table in names:
                statement = BASELINE_INSERTS[table].replace("{parents}", PARENTS)
                statement = statement.replace("{users}", USERS)
                conn.execute(statement.replace("{n}", str(int(rows[table]))))
            load.restore_foreign_keys(conn, keys)
    finish.finish_tables(dsn, names, vacuum=True)  # the seed's own final step
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--history-per-user", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dsn", help="an existing server (a database is created and dropped)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="plinto-seed-bench-"))
    admin = args.dsn or start_server(tmp / "pgdata")
    dbname = f"seed_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    dsn = with_db(admin, dbname)
    try:
        create_schema(dsn)
        _, first = run_seed_command(dsn, args.users, args.history_per_user)
        rows = first["rows"]
        print(
            f"{sum(rows.values()):,} rows in 17 tables for --users {args.users} "
            f"--history-per-user {args.history_per_user}; seed's own phases: {first['timings']}"
        )
        samples = interleaved(
            {
                f"plinto-db seed --users {args.users}": lambda: run_seed_command(
                    dsn, args.users, args.history_per_user
                )[0],
                "baseline INSERT ... SELECT generate_series": lambda: run_baseline(
                    dsn, rows, bulk_foreign_keys=True
                ),
                "baseline, per-row FK checks": lambda: run_baseline(
                    dsn, rows, bulk_foreign_keys=False
                ),
            },
            args.rounds,
        )
        for name, values in samples.items():
            print(f"  {name}: " + ", ".join(f"{v:.1f}" for v in values))
        medians = summary(samples)
        print_table(medians, "baseline INSERT ... SELECT generate_series", args.rounds)
        seed_median = medians[f"plinto-db seed --users {args.users}"]
        ratio = seed_median / medians["baseline INSERT ... SELECT generate_series"]
        print(
            f"target: seed <= 2.0 x baseline -> {ratio:.2f} x; seed < 60 s -> {seed_median:.1f} s"
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
        if not args.dsn:
            stop_server(tmp / "pgdata")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
