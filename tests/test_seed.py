"""`plinto-db seed` on real servers: ratios, distributions, key schemes, constraints, determinism.

One module-scoped database seeded with 1,000 users is shared by the read-only checks; tests
that change a database use new_db.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from plinto_db.seed.run import (
    TABLE_NAMES,
    org_slug,
    provider_user_id,
    run_seed,
    seed_anchor,
    token,
    user_email,
)

USERS = 1000
ANCHOR = seed_anchor()


Q_CONSTRAINTS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2
"""
_constraints_before: dict[str, list[tuple]] = {}


def _constraints(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(Q_CONSTRAINTS).fetchall()


@pytest.fixture(scope="module")
def seeded(pg_server) -> Iterator[tuple[str, dict[str, int]]]:
    from plinto_db.server.migrate import upgrade

    dsn = pg_server.create_database()
    upgrade(dsn, "0001")
    _constraints_before[dsn] = _constraints(dsn)
    result = run_seed(dsn, users=USERS, seed=42, now=ANCHOR)
    yield dsn, result.rows
    pg_server.drop_database(dsn)


def _one(dsn: str, query: str, params: tuple = ()) -> tuple:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchone()


def _share(dsn: str, table: str, condition: str) -> float:
    count, total = _one(dsn, f"SELECT count(*) FILTER (WHERE {condition}), count(*) FROM {table}")
    return count / total


def _between(value: float, low: float, high: float) -> bool:
    return low <= value <= high


def test_row_counts_follow_the_spec_ratios(seeded):
    dsn, rows = seeded
    counted = {t: _one(dsn, f"SELECT count(*) FROM {t}")[0] for t in TABLE_NAMES}
    assert counted == rows
    u = USERS
    assert counted["users"] == u
    assert counted["organizations"] == round(u / 30)
    assert _between(counted["organization_members"] / u, 1.28, 1.32)
    assert counted["organization_invitations"] == 0.6 * u
    assert counted["sessions"] == 6 * u
    assert counted["activity_logs"] == counted["audit_logs"] == 16 * u
    assert counted["magic_links"] == 0.5 * u and counted["password_resets"] == 0.3 * u
    assert counted["email_verifications"] == 1.1 * u
    assert counted["oauth_accounts"] == 0.5 * u and counted["passkeys"] == 0.2 * u
    assert counted["webhook_endpoints"] == round(0.5 * counted["organizations"])
    assert counted["webhook_events"] == 6 * u
    assert _between(counted["webhook_deliveries"] / counted["webhook_events"], 0.3, 0.5)
    assert counted["scim_resources"] == 0.15 * u
    assert counted["policies"] == 2 * counted["organizations"]


def test_users_status_verification_and_external_id(seeded):
    dsn, _ = seeded
    assert _between(_share(dsn, "users", "status = 'active'"), 0.88, 0.96)
    assert _between(_share(dsn, "users", "status = 'pending'"), 0.03, 0.09)
    for status in ("inactive", "suspended", "deleted"):
        assert _between(_share(dsn, "users", f"status = '{status}'"), 0.0, 0.03)
    assert _between(_share(dsn, "users", "NOT email_verified"), 0.07, 0.13)
    assert _between(_share(dsn, "users", "user_metadata ? 'external_id'"), 0.07, 0.13)
    # Unverified users are mostly recent: the newest 5% hold a large part of them.
    recent, unverified = _one(
        dsn,
        "SELECT count(*) FILTER (WHERE NOT email_verified AND created_at > "
        "(SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY created_at) FROM users)), "
        "count(*) FILTER (WHERE NOT email_verified) FROM users",
    )
    assert recent / unverified > 0.25


def test_memberships_roles_status_and_zipf_skew(seeded):
    dsn, _ = seeded
    owners, orgs = _one(
        dsn,
        "SELECT count(*) FILTER (WHERE role = 'owner'), count(DISTINCT organization_id) "
        "FROM organization_members",
    )
    assert owners == orgs == _one(dsn, "SELECT count(*) FROM organizations")[0]
    assert _one(
        dsn,
        "SELECT bool_and(m.user_id = o.owner_id) FROM organization_members m "
        "JOIN organizations o ON o.id = m.organization_id WHERE m.role = 'owner'",
    )[0]
    assert _between(_share(dsn, "organization_members", "role = 'admin'"), 0.07, 0.13)
    assert _between(_share(dsn, "organization_members", "role = 'member'"), 0.70, 0.80)
    assert _between(_share(dsn, "organization_members", "role = 'viewer'"), 0.07, 0.13)
    assert _between(_share(dsn, "organization_members", "status = 'active'"), 0.92, 0.98)
    top_share = _one(
        dsn,
        "WITH s AS (SELECT count(*) AS n FROM organization_members GROUP BY organization_id) "
        "SELECT (SELECT sum(n) FROM (SELECT n FROM s ORDER BY n DESC "
        "LIMIT greatest(1, (SELECT count(*) FROM s) / 10)) t) / sum(n) FROM s",
    )[0]
    assert top_share > 0.30
    biggest = _one(
        dsn,
        "SELECT o.slug FROM organizations o JOIN organization_members m "
        "ON m.organization_id = o.id GROUP BY o.slug ORDER BY count(*) DESC LIMIT 1",
    )[0]
    assert biggest == org_slug(1)


def test_invitations_status_mix_and_expiry(seeded):
    dsn, _ = seeded
    assert _between(_share(dsn, "organization_invitations", "status = 'pending'"), 0.09, 0.16)
    assert _between(_share(dsn, "organization_invitations", "status = 'accepted'"), 0.70, 0.80)
    assert _share(
        dsn,
        "organization_invitations",
        f"(status = 'pending') = (expires_at > to_timestamp({ANCHOR}))",
    ) == pytest.approx(1.0, abs=0.13)
    assert _one(
        dsn,
        "SELECT bool_and(accepted_by IS NOT NULL AND accepted_at IS NOT NULL) "
        "FROM organization_invitations WHERE status = 'accepted'",
    )[0]


def test_sessions_status_revoked_and_expiry(seeded):
    dsn, _ = seeded
    assert _between(_share(dsn, "sessions", "status = 'active'"), 0.21, 0.29)
    assert _between(_share(dsn, "sessions", "status = 'expired'"), 0.55, 0.65)
    assert _between(_share(dsn, "sessions", "status = 'revoked'"), 0.12, 0.18)
    assert _share(dsn, "sessions", "revoked = (status = 'revoked')") == 1.0
    assert _share(dsn, "sessions", "(revoked_at IS NOT NULL) = revoked") == 1.0
    now = f"to_timestamp({ANCHOR})"
    assert _share(dsn, "sessions", f"status <> 'active' OR expires_at > {now}") == 1.0
    assert _share(dsn, "sessions", f"status <> 'expired' OR expires_at < {now}") == 1.0
    assert _share(dsn, "sessions", "expires_at = created_at + interval '7 days'") == 1.0
    # A session never starts before its user signed up.
    assert not _one(
        dsn,
        "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.created_at < u.created_at",
    )[0]


def test_history_tables_mixes(seeded):
    dsn, _ = seeded
    assert _between(_share(dsn, "activity_logs", "action = 'signin'"), 0.42, 0.48)
    assert _between(_share(dsn, "activity_logs", "action = 'signout'"), 0.27, 0.33)
    assert _between(_share(dsn, "activity_logs", "action = 'mfa_verify'"), 0.12, 0.18)
    assert _between(_share(dsn, "audit_logs", "organization_id IS NULL"), 0.035, 0.065)
    types = _one(dsn, "SELECT count(DISTINCT event_type) FROM audit_logs")[0]
    assert 7 <= types <= 10
    # Logs are written in time order, as an application appends them.
    correlation = _one(
        dsn,
        "SELECT correlation FROM pg_stats WHERE tablename = 'activity_logs' "
        "AND attname = 'created_at'",
    )[0]
    assert correlation > 0.9


def test_token_tables_usage_shares(seeded):
    dsn, _ = seeded
    assert _between(_share(dsn, "magic_links", "used"), 0.86, 0.94)
    assert _between(_share(dsn, "password_resets", "used"), 0.54, 0.66)
    assert _between(_share(dsn, "email_verifications", "verified"), 0.85, 0.90)
    assert _share(dsn, "magic_links", "used = (used_at IS NOT NULL)") == 1.0
    assert _share(dsn, "magic_links", "expires_at = created_at + interval '15 minutes'") == 1.0


def test_oauth_webhooks_scim_policies(seeded):
    dsn, _ = seeded
    assert _between(_share(dsn, "oauth_accounts", "provider = 'google'"), 0.54, 0.66)
    assert _between(_share(dsn, "oauth_accounts", "provider = 'github'"), 0.20, 0.30)
    assert _between(_share(dsn, "webhook_endpoints", "is_active"), 0.55, 0.98)
    assert _between(_share(dsn, "webhook_events", "type = 'user.signed_in'"), 0.66, 0.74)
    assert _between(_share(dsn, "webhook_deliveries", "status = 'delivered'"), 0.93, 0.99)
    assert _one(
        dsn,
        "SELECT bool_and(e.organization_id = d_org) FROM (SELECT d.event_id, "
        "w.organization_id AS d_org FROM webhook_deliveries d "
        "JOIN webhook_endpoints w ON w.id = d.endpoint_id) x "
        "JOIN webhook_events e ON e.id = x.event_id",
    )[0]
    scim_orgs, orgs = _one(
        dsn,
        "SELECT count(DISTINCT organization_id), (SELECT count(*) FROM organizations) "
        "FROM scim_resources",
    )
    assert scim_orgs == max(1, round(0.1 * orgs))
    assert _between(_share(dsn, "scim_resources", "resource_type = 'User'"), 0.90, 0.99)
    assert _between(_share(dsn, "policies", "enabled"), 0.84, 0.96)


def test_documented_keys_exist(seeded):
    dsn, _ = seeded
    checks = [
        ("users", "email", user_email(USERS)),
        ("organizations", "slug", org_slug(1)),
        ("sessions", "access_token_jti", token("access_jti", 1)),
        ("sessions", "refresh_token_jti", token("refresh_jti", 6 * USERS)),
        ("magic_links", "token", token("magic_link", 1)),
        ("password_resets", "token", token("password_reset", 1)),
        ("email_verifications", "token", token("email_verification", 1)),
        ("organization_invitations", "token", token("invitation", 1)),
        ("oauth_accounts", "provider_user_id", provider_user_id(1)),
        ("passkeys", "credential_id", token("credential", 1)),
    ]
    for table, column, value in checks:
        found = _one(dsn, f"SELECT count(*) FROM {table} WHERE {column} = %s", (value,))[0]
        assert found == 1, (table, column, value)


def test_constraints_are_all_in_place_and_pages_all_visible(seeded):
    dsn, _ = seeded
    before = _constraints_before[dsn]
    assert sum(1 for _, _, definition in before if definition.startswith("FOREIGN KEY")) > 20
    assert _constraints(dsn) == before  # the load drops and re-adds the foreign keys
    not_visible = _one(
        dsn,
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind = 'r' AND relname = ANY(%s) AND relallvisible < relpages",
        (list(TABLE_NAMES),),
    )[0]
    assert not_visible == 0
    never_analyzed = _one(
        dsn,
        "SELECT count(*) FROM pg_stat_user_tables WHERE relname = ANY(%s) AND last_analyze IS NULL",
        (list(TABLE_NAMES),),
    )[0]
    assert never_analyzed == 0


def _fingerprint(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return {
            table: conn.execute(
                f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"
            ).fetchone()[0]
            for table in TABLE_NAMES
        }


def test_same_seed_same_data_other_seed_other_data(new_db):
    first, second, third = new_db("schema"), new_db("schema"), new_db("schema")
    run_seed(first, users=300, seed=7, history_per_user=4, now=ANCHOR)
    run_seed(second, users=300, seed=7, history_per_user=4, now=ANCHOR)
    run_seed(third, users=300, seed=8, history_per_user=4, now=ANCHOR)
    same = _fingerprint(first)
    assert same == _fingerprint(second)
    other = _fingerprint(third)
    assert all(other[table] != same[table] for table in TABLE_NAMES)


def test_cli_seeds_refuses_a_non_empty_database_and_resets(new_db, run_cli):
    import json

    dsn = new_db("schema")
    done = run_cli("seed", "--users", "300", "--dsn", dsn, "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["rows"]["users"] == 300 and document["total_rows"] > 10 * 300
    assert "Traceback" not in done.stderr

    refused = run_cli("seed", "--users", "300", "--dsn", dsn)
    assert refused.returncode == 2
    errors = [line for line in refused.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "--reset" in errors[0] and "users" in errors[0]
    assert _one(dsn, "SELECT count(*) FROM users")[0] == 300

    again = run_cli("seed", "--users", "400", "--seed", "3", "--reset", "--dsn", dsn)
    assert again.returncode == 0, again.stderr
    assert "users" in again.stdout
    assert _one(dsn, "SELECT count(*) FROM users")[0] == 400


@pytest.mark.parametrize("users", ["0", "-5"])
def test_cli_rejects_a_non_positive_user_count(schema_db, run_cli, users):
    result = run_cli("seed", "--users", users, "--dsn", schema_db)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--users" in lines[0] and "Traceback" not in result.stderr


def test_cli_without_schema_says_to_migrate(new_db, run_cli):
    result = run_cli("seed", "--users", "100", "--dsn", new_db("empty"))
    assert result.returncode == 2
    assert "plinto-db migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_smallest_seed_keeps_every_constraint(new_db):
    dsn = new_db("schema")
    result = run_seed(dsn, users=1, seed=1, history_per_user=0, now=ANCHOR)
    assert result.rows["users"] == 1 and result.rows["organizations"] == 1
    assert result.rows["organization_members"] == 1
    assert result.rows["activity_logs"] == result.rows["audit_logs"] == 0
    assert _one(dsn, "SELECT count(*) FROM sessions")[0] == 6
    owner = _one(dsn, "SELECT role FROM organization_members")[0]
    assert owner == "owner"


def test_history_per_user_scales_the_logs(new_db):
    dsn = new_db("schema")
    result = run_seed(dsn, users=100, seed=1, history_per_user=40, now=ANCHOR)
    assert result.rows["activity_logs"] == result.rows["audit_logs"] == 4000
    assert _one(dsn, "SELECT count(DISTINCT user_id) FROM activity_logs")[0] > 50
