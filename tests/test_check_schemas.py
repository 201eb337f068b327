"""Schemas: a check's names are compared with the schema of what the plan reads.

Real PostgreSQL 15 and 18, on a user's own schema (tests/check_helpers.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from check_helpers import analyzed_database, by_name, run, write_inputs
from recorded_plans import MAJOR_IDS, MAJORS, verdict_of

from plinto_db.check.judge import Verdict
from plinto_db.errors import UserError


def test_a_schema_qualified_index_name_must_be_in_that_schema(app_db, tmp_path):
    wrong = {"x": "-- expect: index public.accounts_ext_idx\nSELECT 1\n"}
    with pytest.raises(UserError, match=r"x\.sql:1: unknown index 'public\.accounts_ext_idx'"):
        run(app_db, write_inputs(tmp_path / "a", wrong))
    right = {
        "x": (
            "-- expect: index app.accounts_ext_idx\n"
            "SELECT 1 FROM app.\"Accounts\" WHERE ext_id = '00000000-0000-0000-0000-000000000001'\n"
        )
    }
    result = by_name(run(app_db, write_inputs(tmp_path / "b", right)))["x"]
    assert result.verdict is Verdict.PASS, result.message


# --- two schemas, one name: a plan read with VERBOSE names each relation's schema

BILLING = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
CREATE SCHEMA billing;
CREATE TABLE billing.accounts (id bigint PRIMARY KEY, email text NOT NULL);
CREATE INDEX accounts_email_idx ON billing.accounts (email);
CREATE SCHEMA hidden;
CREATE TABLE hidden.accounts (id bigint PRIMARY KEY);
INSERT INTO accounts SELECT i, 'p' || i FROM generate_series(1, 20000) i;
INSERT INTO billing.accounts SELECT i, 'b' || i FROM generate_series(1, 20000) i;
INSERT INTO hidden.accounts SELECT i FROM generate_series(1, 20000) i;
"""
CATALOG = "CREATE INDEX CONCURRENTLY accounts_email_idx ON billing.accounts (email);\n"
# public.accounts read sequentially; billing.accounts through its primary key and email index
JOINED = (
    "SELECT (SELECT count(*) FROM accounts WHERE email LIKE '%4%') AS a,\n"
    "  (SELECT email FROM billing.accounts WHERE id = 42) AS b,\n"
    "  (SELECT id FROM billing.accounts WHERE email = 'b42') AS c\n"
)


@pytest.fixture(scope="module")
def billing_db(pg_server) -> Iterator[str]:
    with analyzed_database(pg_server, BILLING) as dsn:
        yield dsn


def test_a_name_in_one_schema_never_matches_its_namesake_in_another(billing_db, tmp_path):
    checks = {
        "a_no_seq_billing": f"-- expect: no-seqscan billing.accounts\n{JOINED}",
        "b_no_seq_public": f"-- expect: no-seqscan accounts\n{JOINED}",
        "c_billing_pkey": f"-- expect: index billing.accounts_pkey\n{JOINED}",
        "d_public_pkey": f"-- expect: index public.accounts_pkey\n{JOINED}",
        "e_unqualified_pkey": f"-- expect: index accounts_pkey\n{JOINED}",
    }
    results = by_name(run(billing_db, write_inputs(tmp_path, checks, CATALOG)))
    verdicts = {name: r.verdict for name, r in results.items()}
    assert verdicts == {
        "a_no_seq_billing": Verdict.PASS,  # the Seq Scan is of public.accounts
        "b_no_seq_public": Verdict.FAIL,
        "c_billing_pkey": Verdict.PASS,
        "d_public_pkey": Verdict.FAIL,  # billing's accounts_pkey is not public's
        "e_unqualified_pkey": Verdict.FAIL,  # the search_path says public.accounts_pkey
    }, {name: r.message for name, r in results.items()}
    assert "plan uses billing.accounts_" in results["d_public_pkey"].message


def test_an_unqualified_name_resolves_through_the_search_path(billing_db, pg_server, tmp_path):
    checks = {
        "pkey": f"-- expect: index accounts_pkey\n{JOINED}",
        "no_seq": f"-- expect: no-seqscan accounts\n{JOINED}",
        "email": f"-- expect: index accounts_email_idx\n{JOINED}",  # only in billing
    }
    inputs = write_inputs(tmp_path, checks, CATALOG)
    on_billing = psycopg.conninfo.make_conninfo(billing_db, options="-c search_path=billing,public")
    results = by_name(run(on_billing, inputs))
    assert {n: r.verdict for n, r in results.items()} == {
        "pkey": Verdict.PASS,  # billing.accounts_pkey now
        "no_seq": Verdict.FAIL,  # the query's own `accounts` is billing's too, read sequentially
        "email": Verdict.PASS,
    }, {name: r.message for name, r in results.items()}
    assert results["no_seq"].message.startswith(
        "sequential scan of accounts: Seq Scan on billing.accounts"
    )
    # on the default path the same file means public's
    results = by_name(run(billing_db, inputs))
    assert results["pkey"].verdict is Verdict.FAIL
    assert results["no_seq"].message.startswith("sequential scan of accounts: Seq Scan on accounts")
    assert results["email"].verdict is Verdict.PASS  # in one schema only: found there


def test_a_name_in_several_schemas_none_on_the_path_is_refused(billing_db, tmp_path):
    """`accounts_pkey` is in public, billing and hidden; on search_path billing only it
    resolves; on a path with none of them it is ambiguous: exit 2 naming the line."""
    inputs = write_inputs(
        tmp_path, {"x": f"-- about\n-- expect: index accounts_pkey\n{JOINED}"}, CATALOG
    )
    nowhere = psycopg.conninfo.make_conninfo(billing_db, options="-c search_path=pg_catalog")
    with pytest.raises(
        UserError,
        match=r"x\.sql:2: index 'accounts_pkey' is in several schemas "
        r"\(billing, hidden, public\) and none is on the search_path",
    ):
        run(nowhere, inputs)


# --- the same rule on the recorded plan (no database): public.t read sequentially,
# billing.t through billing.t_a_idx


@pytest.fixture(params=MAJORS, ids=MAJOR_IDS)
def major(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.mark.parametrize(
    ("expectation", "search_path", "verdict"),
    [
        ("index t_a_idx", ("public",), Verdict.FAIL),
        ("index billing.t_a_idx", ("public",), Verdict.PASS),
        ("index t_a_idx", ("billing", "public"), Verdict.PASS),
        ("no-seqscan billing.t", ("public",), Verdict.PASS),
        ("no-seqscan t", ("public",), Verdict.FAIL),
        ("no-seqscan t", ("billing", "public"), Verdict.PASS),
        ("no-seqscan public.t", ("billing", "public"), Verdict.FAIL),
        ("index-on billing.t", ("public",), Verdict.PASS),
        ("index-on t", ("public",), Verdict.FAIL),
    ],
)
def test_recorded_two_schema_plan_is_judged_by_qualified_names(
    major, expectation, search_path, verdict
):
    got, judgements = verdict_of(major, "schemas", expectation, search_path=search_path)
    assert got is verdict, judgements[0].reason
