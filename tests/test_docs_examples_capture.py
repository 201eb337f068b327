"""docs/capture.md's examples are what capture writes and prints, run here on a real server
with pg_stat_statements: the refusal when the extension is not created, a captured file
(every line, numbers aside), and the keys of the JSON document. (The text output example is
taken from a real run, as the page says.)"""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from test_docs_examples import DOCS, assert_lines_shown, example

from plinto_db.capture.read import ENABLE_HINT

USERS = """
CREATE EXTENSION pg_stat_statements;
CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, status text NOT NULL);
INSERT INTO users SELECT g, 'u' || g || '@example.org',
    CASE WHEN g % 4 = 0 THEN 'closed' ELSE 'active' END FROM generate_series(1, 20000) g;
CREATE INDEX idx_users_email_status ON users (email, status);
ANALYZE users;
SELECT pg_stat_statements_reset();
"""


def error_lines() -> list[str]:
    block = example("capture.md", "is not enabled on this server")
    return [line for line in block.splitlines() if line.startswith("plinto-db: error:")]


def test_not_enabled_line_is_the_message_capture_raises():
    # the test servers all preload the extension: the line is compared with the code's text
    assert error_lines()[0] == (
        f"plinto-db: error: pg_stat_statements is not enabled on this server: {ENABLE_HINT}"
    )


def test_not_created_line_is_what_capture_prints(pg_server, run_cli, tmp_path):
    dsn = pg_server.create_database()
    try:
        done = run_cli("capture", "--dsn", dsn, "--out", str(tmp_path / "out"))
    finally:
        pg_server.drop_database(dsn)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == error_lines()[1]


@pytest.fixture(scope="module")
def users_db(pg_server):
    dsn = pg_server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(USERS)
        for n in range(1, 31):
            conn.execute(f"SELECT * FROM users WHERE email = 'u{n}@x.org' AND status = 'active'")
    yield dsn
    pg_server.drop_database(dsn)


def numbers_elided(line: str) -> str:
    """A shown line with its run-dependent figures (queryid, hash, counts, times) as `…`."""
    return re.sub(r"[0-9a-f]{12}\b|\d[\d,.]*", "…", line)


def test_captured_file_example_is_what_capture_writes(users_db, run_cli, tmp_path):
    out = tmp_path / "captured"
    done = run_cli("capture", "--dsn", users_db, "--out", str(out), "--cover", "100%")
    assert done.returncode == 0, done.stderr
    (written,) = [p for p in out.glob("users_*.sql") if "email = $1" in p.read_text()]
    shown = example("capture.md", "-- Captured from pg_stat_statements").strip().splitlines()
    real = written.read_text()
    assert len(real.splitlines()) == len(shown)
    assert_lines_shown([numbers_elided(line) for line in shown], real)
    queryid = int(re.search(r"queryid (-?\d+)", real).group(1))
    assert written.name == f"users_{queryid & (2**64 - 1):016x}.sql"


def keys_of(text: str) -> set[str]:
    return set(re.findall(r'"(\w+)"', text))


def test_json_document_has_the_keys_shown(users_db, run_cli, tmp_path):
    page = " ".join((DOCS / "capture.md").read_text().split())
    shown = re.search(r'`--format json`: `(\{"server".*?\}\})`', page).group(1)
    summary = re.search(r'"summary": \{(.*?)\}', shown).group(1)
    statement = re.search(r'"statements": \[\{(.*?)\}\]', shown).group(1)
    top = re.sub(r"\{[^{}]*\}", "", re.sub(r"\[\{.*?\}\]", "", shown[1:-1]))

    done = run_cli("capture", "--dsn", users_db, "--out", str(tmp_path / "c"), "--format", "json")
    assert done.returncode == 0, done.stderr
    real = json.loads(done.stdout)
    assert set(real) == keys_of(top)
    assert set(real["summary"]) == keys_of(summary)
    assert set(real["statements"][0]) == keys_of(statement)


def test_a_key_or_path_operand_draws_no_value_from_the_column():
    # found running the page's flow on seeded Plinto: `user_metadata ? $2` was sampled with
    # the whole jsonb value as the key (`? '{}'`); a key is compared with no column
    from plinto_db.capture.params import parameter_sources

    def columns(table):
        return frozenset({"id", "email", "meta"}) if table == (None, "users") else None

    sql = (
        "SELECT meta->>$1 FROM users WHERE meta ? $2 AND meta #> $3 IS NOT NULL "
        "AND email = $4 AND meta @> $5 ORDER BY id LIMIT $6"
    )
    found = parameter_sources(sql, columns)
    assert sorted(found) == [4, 5, 6]
    assert (found[4].expression, found[5].expression) == ("email", "meta")
