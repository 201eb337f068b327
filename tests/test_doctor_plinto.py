"""doctor on the Plinto schema with the 45-index catalog applied: what section 4 of the schema
spec says a DBA would raise (duplicates of keys, left-prefix chains, foreign keys without an
index, always-true predicates, pinned keys), the drop candidates, and the workload's unproven
indexes on seeded data. Real PostgreSQL 15 and 18; the catalog is applied by `plinto-db apply`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from conftest import _database
from doctor_support import REPO, run_doctor_cli


def apply(dsn: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    proc = subprocess.run(
        [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")


@pytest.fixture(scope="module")
def plinto(pg_server) -> Iterator[str]:
    """Migrated (0001), no data, the catalog applied."""
    dsn = _database(pg_server, "schema")
    apply(dsn)
    yield dsn
    pg_server.drop_database(dsn)


@pytest.fixture(scope="module")
def report(plinto) -> dict:
    proc = run_doctor_cli("--dsn", plinto, "--format", "json", "--no-checks")
    assert proc.returncode == 0, proc.stderr  # warnings only: --fail-on error passes
    return json.loads(proc.stdout)


def found(report: dict, check: str) -> set[tuple[str, ...]]:
    return {tuple(f["objects"]) for f in report["findings"] if f["check"] == check}


def subjects(report: dict, check: str) -> set[str]:
    return {
        f["objects"][0].removeprefix("public.") for f in report["findings"] if f["check"] == check
    }


def test_left_prefix_chains_of_section_4_3(report):
    assert found(report, "redundant-index") == {
        (
            "public.sessions.idx_sessions_user_id",
            "public.sessions.idx_sessions_management",
            "public.sessions.idx_sessions_user_status",
        ),
        ("public.sessions.idx_sessions_user_status", "public.sessions.idx_sessions_management"),
        (
            "public.oauth_accounts.idx_oauth_accounts_user_id",
            "public.oauth_accounts.idx_oauth_accounts_user_provider",
        ),
    }


def pairs(report: dict, check: str) -> set[tuple[str, str]]:
    """(index, the index that covers it) without the schema: `table.index` each."""
    return {
        (f["objects"][0].removeprefix("public."), f["objects"][1].removeprefix("public."))
        for f in report["findings"]
        if f["check"] == check
    }


def test_copies_of_primary_and_unique_keys_of_section_4_2(report):
    assert {
        ("users.idx_users_id_status", "users.users_pkey"),
        ("organizations.idx_organizations_slug_active", "organizations.ix_organizations_slug"),
        (
            "oauth_accounts.idx_oauth_accounts_provider_user_id",
            "oauth_accounts.unique_provider_account",
        ),
        # the partial copies of unique single-column indexes: #3, #4, #12, #13, #14
        ("sessions.idx_sessions_access_token_jti", "sessions.ix_sessions_access_token_jti"),
        ("sessions.idx_sessions_refresh_token_jti", "sessions.ix_sessions_refresh_token_jti"),
        ("magic_links.idx_magic_links_token_active", "magic_links.ix_magic_links_token"),
        (
            "password_resets.idx_password_resets_token_active",
            "password_resets.ix_password_resets_token",
        ),
        (
            "email_verifications.idx_email_verifications_token_active",
            "email_verifications.ix_email_verifications_token",
        ),
        # #1 and #29 lead with the unique email; #30 with the unique (organization_id, user_id)
        ("users.idx_users_email_status", "users.ix_users_email"),
        ("users.idx_users_profile_lookup", "users.ix_users_email"),
        ("organization_members.idx_org_members_full", "organization_members.uq_org_member"),
    } <= pairs(report, "duplicates-unique-key")
    assert found(report, "duplicate-index") == set()  # no byte-for-byte copy inside one schema


def test_foreign_keys_without_an_index_of_section_4_6(report):
    assert subjects(report, "fk-without-index") == {
        "webhook_deliveries.webhook_deliveries_event_id_fkey",
        "organization_members.organization_members_invited_by_fkey",
        "organization_invitations.organization_invitations_accepted_by_fkey",
        "audit_logs.audit_logs_user_id_fkey",
        "policies.policies_organization_id_fkey",
    }


def test_always_true_predicates_and_pinned_keys_of_section_4_4(report):
    # #23's organization_id is nullable in this schema, so its IS NOT NULL filters
    assert subjects(report, "always-true-predicate") == {
        "organizations.idx_organizations_slug_active",
        "scim_resources.idx_scim_resources_org_type",
    }
    assert subjects(report, "pinned-key-column") == {
        "users.idx_users_email_status",
        "users.idx_users_id_status",
        "webhook_endpoints.idx_webhook_endpoints_active",
    }
    assert subjects(report, "invalid-index") == subjects(report, "table-without-pk") == set()


def test_drop_candidates_name_their_cover_and_never_a_key_or_an_fk_s_last_index(report, plinto):
    drops = {c["index"]: c for c in report["drop_candidates"]}
    assert drops["public.idx_sessions_user_id"]["covered_by"] == "public.idx_sessions_management"
    assert drops["public.idx_users_id_status"]["covered_by"] == "public.users_pkey"
    assert all(c["statement"] == f"DROP INDEX CONCURRENTLY {c['index']};" for c in drops.values())
    assert report["reclaimable_bytes"] == sum(c["size_bytes"] for c in drops.values()) > 0
    with psycopg.connect(plinto) as conn:
        protected = {
            f"public.{name}"
            for (name,) in conn.execute(
                "SELECT conindid::regclass::text FROM pg_constraint WHERE conindid <> 0"
            )
        }
    assert not protected & set(drops)
    # (user_id, organization_id) is the only index leading with organization_members.user_id
    kept = {k["index"]: k["why"] for k in report["kept"]}
    assert (
        "foreign key organization_members_user_id_fkey" in kept["public.idx_org_members_user_org"]
    )
    assert "public.idx_org_members_user_org" not in drops


def test_catalog_findings_point_at_their_file_and_line(report):
    finding = next(
        f for f in report["findings"] if f["index"] == "public.idx_organizations_slug_active"
    )
    assert finding["location"]["file"].endswith("indexes/02_critical_organization.sql")
    assert finding["location"]["line"] == 13


def test_seeded_plinto_adds_the_indexes_no_check_proves_as_candidates(pg_server):
    dsn = _database(pg_server, "seeded")
    try:
        apply(dsn)
        proc = run_doctor_cli("--dsn", dsn, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
    finally:
        pg_server.drop_database(dsn)
    assert doc["workload"]["mode"] == "natural" and doc["workload"]["unproven"] > 0
    unproven = subjects(doc, "unproven-index")
    # section 4.5: no motivating query for the webhook_events indexes and idx_users_unverified
    assert {
        "webhook_events.idx_webhook_events_type_created",
        "users.idx_users_unverified",
    } <= unproven
    drops = {c["index"]: c["reasons"] for c in doc["drop_candidates"]}
    assert "unproven-index" in drops["public.idx_users_unverified"]
    assert {c["id"]: c["status"] for c in doc["checks"]}["unused-index"] == "skipped"
