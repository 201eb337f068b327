"""docs/check.md's error lines are what `check` prints: each example line is produced here
by a check file written so that it fails that way, on a real server, and compared whole.
(The output example is taken from a real run, as the page says.)"""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from test_docs_examples import example

# each error line shown in docs/check.md -> the check file (name, text) that makes it
BAD_CHECKS = {
    "checks/01_signin.sql:2: unknown expectation 'uses'": (
        "01_signin.sql",
        "-- Sign-in\n-- expect: uses idx_users_email_status\nSELECT 1 FROM users;\n",
    ),
    "checks/01_signin.sql:3: unknown index 'idx_users_emial'": (
        "01_signin.sql",
        "-- Sign-in\n-- expect: index idx_users_email_status\n"
        "-- expect: index idx_users_emial\nSELECT * FROM users WHERE email = 'x';\n",
    ),
    "checks/07_roles.sql:4: 1 parameter value(s)": (
        "07_roles.sql",
        "-- Roles\n-- expect: index-on users\n-- expect: index-on users\n-- params: 1\n"
        "SELECT * FROM users WHERE id = $1 AND status = $2;\n",
    ),
    "checks/x.sql:1: unknown table 'shop.customers'": (
        "x.sql",
        "-- expect: no-seqscan Shop.Customers\nSELECT 1;\n",
    ),
    "checks/x.sql:2: index 'accounts_pkey' is in several schemas": (
        "x.sql",
        "-- x\n-- expect: index accounts_pkey\nSELECT 1 FROM accounts;\n",
    ),
}

SETUP = """
CREATE SCHEMA "Shop"; CREATE TABLE "Shop"."Customers" (id int);
CREATE SCHEMA billing; CREATE SCHEMA hidden;
CREATE TABLE billing.accounts (id int PRIMARY KEY);
CREATE TABLE hidden.accounts (id int PRIMARY KEY);
CREATE TABLE public.accounts (id int PRIMARY KEY);
"""


def shown_error_lines() -> list[str]:
    lines = []
    for containing in ("unknown table 'shop.customers'", "is in several schemas", "'uses'"):
        block = example("check.md", containing)
        lines += [line for line in block.splitlines() if line.startswith("plinto-db: error:")]
    return lines


def test_every_error_line_of_check_md_has_a_case_here():
    shown = shown_error_lines()
    assert len(shown) == len(BAD_CHECKS)
    for line in shown:
        assert [key for key in BAD_CHECKS if key in line], line


@pytest.fixture(scope="module")
def accounts_db(pg_server):
    dsn = pg_server.create_database()
    from plinto_db.server.migrate import upgrade

    upgrade(dsn, "0001")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SETUP)
    yield dsn
    pg_server.drop_database(dsn)


@pytest.mark.parametrize("line", shown_error_lines(), ids=lambda line: line[18:60])
def test_check_md_error_line_is_what_check_prints(accounts_db, run_cli, tmp_path, line):
    name, text = next(case for key, case in BAD_CHECKS.items() if key in line)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / name).write_text(text)
    (tmp_path / "indexes").mkdir()
    (tmp_path / "indexes" / "01.sql").write_text(
        "CREATE INDEX idx_users_email_status ON users (email, status);\n"
    )
    dsn = accounts_db
    if "several schemas" in line:  # none of the three schemas on the path
        dsn = make_conninfo(dsn, options="-csearch_path=app")
    done = run_cli(
        "check", "--checks", "checks", "--indexes", "indexes", "--dsn", dsn, cwd=tmp_path
    )
    assert done.returncode == 2
    assert line in done.stderr.splitlines(), done.stderr
