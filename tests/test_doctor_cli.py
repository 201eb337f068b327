"""`plinto-db doctor` as a real process: exit codes, --fail-on, output formats, bad input as
one line, the runtime checks' statistics window, --schema. Real PostgreSQL 15 and 18."""

from __future__ import annotations

import json

import psycopg
import pytest
from doctor_support import run_doctor_cli

NOWHERE = "postgresql://nobody@/nothing?host=/nonexistent-socket-dir&connect_timeout=1"
CLEAN = "CREATE TABLE t (id int PRIMARY KEY, a int); CREATE INDEX t_a ON t (a);"
WARNINGS = CLEAN + " CREATE INDEX t_a_copy ON t (a);"


def schema(dsn: str, sql: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)
    return dsn


def doctor_json(*args: str) -> tuple[int, dict, str]:
    proc = run_doctor_cli("--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def assert_one_line(proc, code: int = 2) -> str:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("plinto-db: error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_list_checks_needs_no_database():
    proc = run_doctor_cli("--list-checks", "--dsn", NOWHERE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split()[:3] == ["invalid-index", "error", "static"]
    proc = run_doctor_cli("--list-checks", "--format", "json")
    checks = {c["id"]: c for c in json.loads(proc.stdout)}
    assert checks["unused-index"]["kind"] == "runtime" and checks["fk-without-index"]["fix"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--only", "no-such-check"), "--only no-such-check: unknown check; known: invalid-index"),
        (("--exclude", "bogus"), "--exclude bogus: unknown check"),
        (("--min-stats-age", "-1"), "--min-stats-age -1: give days"),
        (("--checks", "checks", "--no-checks"), "contradict"),
        (("--checks", "/nonexistent/checks"), "/nonexistent/checks: no such file or folder"),
    ],
)
def test_bad_options_are_one_line_and_exit_2_before_connecting(args, message):
    line = assert_one_line(run_doctor_cli("--dsn", NOWHERE, *args))
    assert message in line


def test_an_unreachable_server_is_one_line_and_exit_2():
    line = assert_one_line(run_doctor_cli("--dsn", NOWHERE, "--no-checks"))
    assert "cannot connect" in line


def test_exit_code_follows_fail_on(new_db):
    dsn = schema(new_db("empty"), WARNINGS)
    code, doc, _ = doctor_json("--dsn", dsn, "--no-checks")
    assert code == 0 and doc["summary"]["warning"] == 1 and doc["summary"]["error"] == 0
    code, _, _ = doctor_json("--dsn", dsn, "--no-checks", "--fail-on", "warning")
    assert code == 1
    code, _, _ = doctor_json("--dsn", dsn, "--no-checks", "--fail-on", "warning",
                             "--exclude", "duplicate-index")  # fmt: skip
    assert code == 0


def test_an_invalid_index_fails_by_default(new_db):
    dsn = schema(new_db("empty"), CLEAN + " INSERT INTO t VALUES (1, 1), (2, 1);")
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON t (a)")
    code, doc, _ = doctor_json("--dsn", dsn, "--no-checks")
    assert code == 1
    assert [(f["check"], f["severity"], f["objects"]) for f in doc["findings"]] == [
        ("invalid-index", "error", ["public.t.t_a_key"])
    ]


def test_a_clean_database_exits_0_and_says_why_the_workload_was_not_used(new_db):
    dsn = schema(new_db("empty"), CLEAN)
    code, doc, stderr = doctor_json("--dsn", dsn)
    assert code == 0 and doc["findings"] == [] and doc["drop_candidates"] == []
    assert doc["reclaimable_bytes"] == 0
    workload = next(c for c in doc["checks"] if c["id"] == "unproven-index")
    assert workload["status"] == "skipped" and "workload not used" in workload["reason"]
    assert "doctor: 0 errors, 0 warnings, 0 info" in stderr


def test_runtime_checks_are_skipped_on_fresh_statistics_saying_since_when(new_db):
    dsn = schema(new_db("empty"), CLEAN)
    _, doc, _ = doctor_json("--dsn", dsn, "--no-checks")
    skipped = {c["id"]: c["reason"] for c in doc["checks"] if c["status"] == "skipped"}
    assert set(skipped) == {"unused-index", "index-bloat", "unproven-index"}
    assert skipped["unused-index"].startswith("statistics cover 0.0 days, since ")
    assert "(the server start; never reset); need 7 (--min-stats-age)" in skipped["unused-index"]
    assert doc["statistics"]["reset"] is False and doc["statistics"]["enough"] is False
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_reset()")
    _, doc, _ = doctor_json("--dsn", dsn, "--no-checks", "--min-stats-age", "2.5")
    reason = next(c["reason"] for c in doc["checks"] if c["id"] == "index-bloat")
    assert "(the last statistics reset); need 2.5 (--min-stats-age)" in reason
    assert doc["statistics"]["reset"] is True


def test_min_stats_age_0_judges_the_runtime_checks(new_db):
    dsn = schema(new_db("empty"), CLEAN)
    _, doc, _ = doctor_json("--dsn", dsn, "--no-checks", "--min-stats-age", "0")
    status = {c["id"]: c["status"] for c in doc["checks"]}
    assert status["unused-index"] == status["index-bloat"] == "judged"
    assert [f["objects"] for f in doc["findings"]] == [["public.t.t_a"]]  # never scanned
    assert doc["drop_candidates"][0]["reasons"] == ["unused-index"]


def test_text_output_off_a_terminal_is_plain_with_sections_and_statements(new_db):
    dsn = schema(new_db("empty"), WARNINGS)
    proc = run_doctor_cli("--dsn", dsn, "--no-checks")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    out = proc.stdout
    assert "WARNING (1)" in out and "SKIPPED" in out and "DROP CANDIDATES (1, 8.0 kB" in out
    assert out.index("WARNING") < out.index("SKIPPED") < out.index("DROP CANDIDATES")
    assert "    DROP INDEX CONCURRENTLY public.t_a_copy;" in out
    assert "duplicate-index  public.t.t_a_copy public.t.t_a" in out


def test_sarif_output_is_one_run_with_a_logical_location_per_finding(new_db):
    dsn = schema(new_db("empty"), WARNINGS)
    proc = run_doctor_cli("--dsn", dsn, "--no-checks", "--format", "sarif")
    log = json.loads(proc.stdout)
    (run,) = log["runs"]
    assert log["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "plinto-db doctor"
    (result,) = run["results"]
    assert result["ruleId"] == "duplicate-index" and result["level"] == "warning"
    names = [loc["fullyQualifiedName"] for loc in result["locations"][0]["logicalLocations"]]
    assert names == ["public.t.t_a_copy", "public.t.t_a"]


def test_schema_limits_the_report_to_those_schemas(new_db):
    dsn = schema(
        new_db("empty"),
        "CREATE SCHEMA app; CREATE SCHEMA other; CREATE TABLE app.a (x int); "
        'CREATE TABLE other.b (y int); CREATE TABLE "Mixed Case" (z int);',
    )
    _, doc, _ = doctor_json("--dsn", dsn, "--no-checks", "--only", "table-without-pk")
    assert {f["objects"][0] for f in doc["findings"]} == {"app.a", "other.b", 'public."Mixed Case"'}
    _, doc, _ = doctor_json("--dsn", dsn, "--no-checks", "--only", "table-without-pk",
                            "--schema", "app", "--schema", "nowhere")  # fmt: skip
    assert [f["objects"] for f in doc["findings"]] == [["app.a"]]
    assert "--schema nowhere: no tables there" in doc["notes"]


def test_a_workload_that_cannot_run_naturally_is_skipped_or_refused_by_check_mode(new_db):
    dsn = schema(new_db("empty"), CLEAN + " CREATE INDEX t_b ON t (a, id);")
    workload = ("--checks", "tests/data/doctor/unproven-index/checks",
                "--indexes", "tests/data/doctor/unproven-index/indexes")  # fmt: skip
    _, doc, _ = doctor_json("--dsn", dsn, *workload, "--only", "unproven-index")
    (outcome,) = doc["checks"]
    assert outcome["status"] == "skipped"
    assert "natural mode needs" in outcome["reason"] and "--check-mode forced" in outcome["reason"]
    line = assert_one_line(run_doctor_cli("--dsn", dsn, *workload, "--check-mode", "natural"))
    assert "the workload cannot run" in line
    _, doc, _ = doctor_json("--dsn", dsn, *workload, "--check-mode", "forced")
    assert doc["workload"]["mode"] == "forced"
    unproven = [f for f in doc["findings"] if f["check"] == "unproven-index"]
    assert [f["location"] for f in unproven] == [
        {"file": "tests/data/doctor/unproven-index/indexes/t.sql", "line": 3}
    ]
