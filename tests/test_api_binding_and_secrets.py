"""The companion API against real servers: every value is bound (a quote in a value is that
value, never SQL), and no response carries a secret (password_hash, mfa_secret, tokens)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator

import psycopg
import pytest
from test_api_app import Served, serve

from plinto_db.api.encode import SECRET_COLUMNS

QUOTED = ("o'brien@example.org", "' OR '1'='1", "x'); DROP TABLE users; --")


@pytest.fixture(scope="module")
def quoted_db(seeded_db: str) -> str:
    """This module's seeded database, with one active user per quoted email (and one inactive
    whose email starts like one of them)."""
    dsn = seeded_db
    with psycopg.connect(dsn) as conn:
        for email in QUOTED:
            conn.execute(
                "INSERT INTO users (email, username, status) VALUES (%s, %s, 'active')",
                (email, f"quoted-{len(email)}-{email[:3]}"),
            )
        conn.execute(
            "INSERT INTO users (email, username, status) VALUES ('o''brien@example.org.inactive',"
            " 'quoted-inactive', 'inactive')"
        )
    return dsn


@pytest.fixture(scope="module")
def api(quoted_db: str) -> Iterator[Served]:
    served = serve(quoted_db)
    yield served
    served.stop()


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


@pytest.mark.parametrize("email", QUOTED)
def test_a_value_with_a_quote_returns_the_rows_of_that_literal_value(api: Served, email: str):
    answer = api.get(f"/q/01_users_signin_by_email?p1={_q(email)}")
    assert answer.status == 200, answer.body
    rows = answer.json()["rows"]
    assert [row["email"] for row in rows] == [email]


def test_a_quoted_value_that_matches_nothing_is_no_rows_not_an_error(api: Served):
    value = _q("nobody' OR 'a'='a")
    answer = api.get(f"/q/01_users_signin_by_email?p1={value}")
    assert answer.status == 200 and answer.json()["rows"] == []


@pytest.mark.parametrize("email", QUOTED)
def test_a_flow_binds_a_quoted_value_too(api: Served, email: str):
    answer = api.get(f"/flow/sign-in?email={_q(email)}")
    assert answer.status == 200, answer.body
    assert answer.json()["signed_in"] is True
    unknown = api.get(f"/flow/sign-in?email={_q(email + 'x')}")
    assert unknown.status == 401 and unknown.json()["email"] == email + "x"


def _keys(document) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(document, dict):
        return set(document) | {k for v in document.values() for k in _keys(v)}
    if isinstance(document, list):
        return {k for v in document for k in _keys(v)}
    return set()


def test_no_check_endpoint_returns_a_secret_column_and_says_which_it_withheld(api: Served):
    index = api.get("/q").json()["checks"]
    withheld_somewhere = set()
    for name, described in index.items():
        if described["defaults"] is None:
            continue
        document = api.get(f"/q/{name}").json()
        assert not _keys(document.get("rows")) & SECRET_COLUMNS, name
        withheld_somewhere |= set(document.get("withheld", ()))
    # the users checks select *: password_hash and the MFA secrets were there to withhold
    assert {"password_hash", "mfa_secret", "mfa_backup_codes"} <= withheld_somewhere


@pytest.mark.parametrize(
    "flow", ["sign-in", "session-validation", "my-sessions", "org-dashboard", "webhook-retry-sweep"]
)
def test_no_flow_returns_a_secret(api: Served, flow: str):
    answer = api.get(f"/flow/{flow}")
    assert answer.status == 200, answer.body
    body = answer.body.decode()
    assert not _keys(json.loads(body)) & SECRET_COLUMNS
    assert "refresh_token_jti" not in body and "password" not in body


def test_the_dashboard_lists_members_with_what_the_page_shows(api: Served):
    members = api.get("/flow/org-dashboard").json()["members"]
    assert members and set(members[0]) == {
        "id", "email", "username", "first_name", "last_name", "display_name", "role", "joined_at"
    }  # fmt: skip
