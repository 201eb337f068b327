"""`plinto-db check` as a real process: the shipped workload on seeded Plinto data, every output
format, exit codes, and bad input. Real PostgreSQL 15 and 18."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import psycopg
import pytest
from conftest import _database

from plinto_db.catalog.parse import load_catalog
from plinto_db.check.workload import load_workload

REPO = Path(__file__).resolve().parent.parent
CHECKS = load_workload(REPO / "checks")
NOWHERE = "postgresql://nobody@/nothing?host=/nonexistent-socket-dir&connect_timeout=1"


def apply_catalog(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for spec in load_catalog(REPO / "indexes"):
            conn.execute(spec.create_sql(concurrently=False))
        conn.execute("ANALYZE")


@pytest.fixture(scope="module")
def plinto_db(pg_server) -> Iterator[str]:
    """Seeded Plinto data (the fixture size) with the catalog's 45 indexes built."""
    dsn = _database(pg_server, "seeded")
    apply_catalog(dsn)
    yield dsn
    pg_server.drop_database(dsn)


def check_json(run_cli, *args: str, env: dict | None = None):
    proc = run_cli("check", "--format", "json", *args, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(proc.stdout)


def test_shipped_workload_passes_in_natural_mode(run_cli, plinto_db, tmp_path):
    junit = tmp_path / "reports" / "check.xml"
    proc, doc = check_json(run_cli, "--dsn", plinto_db, "--junit", str(junit))
    failed = [
        (r["check"], r["reasons"], r["notes"]) for r in doc["results"] if r["verdict"] != "pass"
    ]
    assert proc.returncode == 0 and not failed, failed
    assert len(doc["results"]) == len(CHECKS) >= 40
    first = doc["results"][0]
    assert {"check", "expected", "used", "verdict", "mode", "plan", "file", "line"} <= set(first)
    assert first["plan"][0]["Plan"]["Node Type"]
    assert {r["mode"] for r in doc["results"]} <= {"natural", "forced"}
    assert doc["mode"] == "natural"
    # coverage: every catalog index listed; the ones no query needs are unproven, with a reason
    coverage = {c["index"]: c for c in doc["coverage"]}
    assert len(coverage) == 45
    assert coverage["idx_audit_logs_org_created"]["state"] == "proven"
    for name in ("idx_sessions_active_user", "idx_users_unverified", "idx_policies_attributes_gin"):
        assert coverage[name]["state"] == "unproven" and coverage[name]["reason"], name
    assert "predicate" in coverage["idx_sessions_active_user"]["reason"]
    assert "no query uses it" in coverage["idx_users_unverified"]["reason"]
    # JUnit: one testcase per query, no failure
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert len(suite.findall("testcase")) == len(CHECKS)


def test_table_output_says_mode_and_verdict(run_cli, plinto_db):
    proc = run_cli("check", "--dsn", plinto_db, "--only", "01_*,23_*")
    assert proc.returncode == 0, proc.stderr
    assert "01_users_signin_by_email" in proc.stdout and "23_audit_chain_tail" in proc.stdout
    assert "02_users_current_user" not in proc.stdout
    assert "natural" in proc.stdout and "pass" in proc.stdout
    assert "2 passed, 0 failed of 2" in proc.stdout


def test_require_coverage_fails_on_unproven_indexes(run_cli, plinto_db):
    proc = run_cli("check", "--dsn", plinto_db, "--require-coverage")
    assert proc.returncode == 1
    assert "unproven idx_sessions_active_user" in proc.stdout


def test_dropped_index_fails_its_checks_with_plan_junit_and_annotations(
    run_cli, pg_server, tmp_path
):
    dsn = _database(pg_server, "seeded")
    try:
        apply_catalog(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP INDEX idx_audit_logs_org_created")
        junit = tmp_path / "check.xml"
        proc = run_cli(
            "check", "--dsn", dsn, "--only", "23*,24*", "--junit", str(junit),
            env={"GITHUB_ACTIONS": "true"},
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        assert "FAIL" in proc.stdout and "chosen plan:" in proc.stdout
        assert "idx_audit_logs_org_created" in proc.stdout
        assert "on audit_logs" in proc.stdout.split("chosen plan:")[1]
        cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
        failure = cases["23_audit_chain_tail"].find("failure")
        assert failure is not None and "chosen plan:" in failure.text
        assert "audit_logs" in failure.text
        assert cases["24_audit_by_event_type"].find("failure") is None
        annotations = [line for line in proc.stderr.splitlines() if line.startswith("::error")]
        assert any(
            line.startswith("::error file=checks/23_audit_chain_tail.sql,line=")
            for line in annotations
        ), proc.stderr
        assert all("%0A" in line or "::" in line for line in annotations)
        assert not any("24_audit" in line for line in annotations)
        # without GITHUB_ACTIONS, no annotations
        quiet = run_cli("check", "--dsn", dsn, "--only", "23_audit_chain_tail")
        assert quiet.returncode == 1 and "::error" not in quiet.stderr + quiet.stdout
    finally:
        pg_server.drop_database(dsn)


def test_forced_mode_on_the_empty_plinto_schema(run_cli, new_db):
    dsn = new_db("schema")
    apply_catalog(dsn)
    natural = run_cli("check", "--dsn", dsn, "--only", "01_*")
    assert natural.returncode == 2
    assert "seed" in natural.stderr and "--mode forced" in natural.stderr
    proc, doc = check_json(run_cli, "--dsn", dsn, "--mode", "forced")
    failed = [(r["check"], r["reasons"]) for r in doc["results"] if r["verdict"] != "pass"]
    assert proc.returncode == 0 and not failed, failed
    assert {r["mode"] for r in doc["results"]} == {"forced"}


def test_generic_mode_runs_on_both_versions(run_cli, plinto_db):
    proc, doc = check_json(run_cli, "--dsn", plinto_db, "--mode", "generic")
    modes = {r["mode"] for r in doc["results"]}
    assert "generic" in modes and modes <= {"generic", "forced"}
    failed = [(r["check"], r["reasons"]) for r in doc["results"] if r["verdict"] != "pass"]
    assert proc.returncode == (1 if failed else 0)
    assert not [r for r in doc["results"] if r["verdict"] == "error"]


def test_analyze_reports_actual_time(run_cli, plinto_db):
    proc, doc = check_json(
        run_cli, "--dsn", plinto_db, "--analyze", "--only", "05_sessions_expire_sweep,01_*"
    )
    assert proc.returncode == 0, doc
    for result in doc["results"]:
        assert result["analyze"]["execution_ms"] is not None
        assert "Actual Total Time" in result["plan"][0]["Plan"]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("-- expect: index-on users\n-- expects: index x\nSELECT 1\n", 2, "unknown header"),
        ("-- expect: usable users\nSELECT 1\n", 1, "unknown expectation"),
        ("-- expect: index-on users\n-- params: 1\nSELECT $1, $2\n", 2, "parameter value"),
    ],
)
def test_bad_headers_exit_2_with_file_and_line(run_cli, tmp_path, text, line, fragment):
    path = write(tmp_path / "checks", "bad.sql", text)
    write(tmp_path / "checks", "good.sql", "-- expect: index-on users\nSELECT 1\n")
    proc = run_cli("check", "--dsn", NOWHERE, "--checks", str(tmp_path / "checks"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"plinto-db: error: {path}:{line}:"), proc.stderr
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_unknown_index_exits_2_with_file_and_line(run_cli, plinto_db, tmp_path):
    path = write(
        tmp_path / "checks",
        "typo.sql",
        "-- expect: index-on users\n-- expect: any-of ix_users_email, idx_users_emial\n"
        "SELECT * FROM users WHERE email = 'x'\n",
    )
    proc = run_cli("check", "--dsn", plinto_db, "--checks", str(path.parent))
    assert proc.returncode == 2
    assert f"{path}:2: unknown index 'idx_users_emial'" in proc.stderr


def test_usage_errors_exit_2(run_cli, plinto_db, tmp_path):
    proc = run_cli("check", "--dsn", plinto_db, "--mode", "bogus")
    assert proc.returncode == 2 and "--mode 'bogus'" in proc.stderr
    proc = run_cli("check", "--dsn", plinto_db, "--only", "no-such-check")
    assert proc.returncode == 2 and "no check matches" in proc.stderr
    proc = run_cli("check", "--dsn", NOWHERE, "--only", "01_*")
    assert proc.returncode == 2 and "cannot connect" in proc.stderr


def test_a_users_own_schema_and_folders(run_cli, new_db, tmp_path):
    """A new user: their own tables, their own checks/ and indexes/ folders, run from their CWD."""
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE books (id int PRIMARY KEY, isbn text NOT NULL, author text NOT NULL);"
            "INSERT INTO books SELECT i, 'isbn-' || i, 'author ' || (i % 300) "
            "FROM generate_series(1, 30000) i;"
            "CREATE INDEX books_isbn_idx ON books (isbn); ANALYZE books;"
        )
    write(tmp_path / "indexes", "books.sql", "CREATE INDEX books_isbn_idx ON books (isbn);\n"
          "CREATE INDEX books_author_idx ON books (author);\n")  # fmt: skip
    write(tmp_path / "checks", "by_isbn.sql",
          "-- expect: index books_isbn_idx\n-- sample: SELECT isbn FROM books LIMIT 1\n"
          "SELECT * FROM books WHERE isbn = $1;\n")  # fmt: skip
    write(tmp_path / "checks", "by_author.sql",
          "-- expect: no-seqscan books\n-- params: 'author 7'\n"
          "SELECT * FROM books WHERE author = $1;\n")  # fmt: skip
    proc = run_cli("check", "--dsn", dsn, "--format", "json", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    verdicts = {r["check"]: r["verdict"] for r in doc["results"]}
    assert verdicts == {"by_author": "fail", "by_isbn": "pass"}
    assert proc.returncode == 1
    coverage = {c["index"]: c for c in doc["coverage"]}
    assert coverage["books_isbn_idx"]["state"] == "proven"
    assert "not built" in coverage["books_author_idx"]["reason"]
    assert doc["checks_dir"] == str(tmp_path / "checks")


def test_a_bad_catalog_exits_2_with_file_and_line(run_cli, plinto_db, tmp_path):
    bad = write(
        tmp_path / "indexes",
        "bad.sql",
        "CREATE INDEX ok_idx ON users (email);\nDROP TABLE users;\n",
    )
    proc = run_cli("check", "--dsn", plinto_db, "--indexes", str(bad.parent), "--only", "01_*")
    assert proc.returncode == 2
    assert f"{bad}:2:" in proc.stderr and "Traceback" not in proc.stderr
