"""`plinto-db doctor` as a real process: what stops the workload decides the outcome, the same
in every --check-mode. A bad workload file (malformed, or naming an index neither the catalog
nor the database has) is one `file:line` line and exit 2; natural mode's refusal on a
database without statistics is a note in auto mode whose hint (--check-mode forced) works."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from doctor_support import run_doctor_cli

QUERY = "-- params: 1\nSELECT * FROM t WHERE a = $1;\n"


def _workload(tmp_path: Path, expect: str) -> tuple[str, ...]:
    checks, indexes = tmp_path / "checks", tmp_path / "indexes"
    checks.mkdir()
    indexes.mkdir()
    (checks / "01_by_a.sql").write_text(f"-- Rows of t by a.\n{expect}\n{QUERY}")
    (indexes / "t.sql").write_text("CREATE INDEX CONCURRENTLY t_a ON t (a);\n")
    return ("--checks", str(checks), "--indexes", str(indexes), "--only", "unproven-index")


@pytest.fixture
def dsn(new_db) -> str:
    target = new_db("empty")
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")  # never analyzed, t_a unbuilt
    return target


def _error_line(proc) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("plinto-db: error:")]
    return line


@pytest.mark.parametrize("mode", ["auto", "natural", "forced"])
def test_an_index_named_nowhere_is_a_bad_workload_file_in_every_mode(dsn, tmp_path, mode):
    args = _workload(tmp_path, "-- expect: index nosuch_idx")
    line = _error_line(run_doctor_cli("--dsn", dsn, *args, "--check-mode", mode))
    checks = tmp_path / "checks" / "01_by_a.sql"
    assert line == (
        f"plinto-db: error: {checks}:2: unknown index 'nosuch_idx': neither in the catalog "
        f"({tmp_path / 'indexes'}) nor in the database"
    )


@pytest.mark.parametrize("mode", ["auto", "forced"])
def test_a_header_typo_is_a_bad_workload_file_in_every_mode(dsn, tmp_path, mode):
    args = _workload(tmp_path, "-- expects: index t_a")
    line = _error_line(run_doctor_cli("--dsn", dsn, *args, "--check-mode", mode))
    assert f"{tmp_path / 'checks' / '01_by_a.sql'}:2: unknown header directive 'expects'" in line


def test_a_catalog_index_not_built_yet_is_a_note_whose_hint_works(dsn, tmp_path):
    args = (*_workload(tmp_path, "-- expect: index t_a"), "--format", "json")
    proc = run_doctor_cli("--dsn", dsn, *args)
    assert proc.returncode == 0, proc.stderr
    (note,) = json.loads(proc.stdout)["notes"]
    assert note.startswith("workload not used: natural mode needs planner statistics")
    assert note.endswith("(--check-mode forced judges it anyway)")
    proc = run_doctor_cli("--dsn", dsn, *args, "--check-mode", "forced")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["workload"]["mode"] == "forced" and doc["checks"][0]["status"] == "judged"


def test_a_table_missing_here_skips_without_a_hint_and_is_refused_when_forced(dsn, tmp_path):
    args = _workload(tmp_path, "-- expect: index-on nosuch_table")
    proc = run_doctor_cli("--dsn", dsn, *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (note,) = json.loads(proc.stdout)["notes"]
    assert "01_by_a.sql:2: unknown table 'nosuch_table': not in the database" in note
    assert "--check-mode forced" not in note  # forced mode fails the same way
    line = _error_line(run_doctor_cli("--dsn", dsn, *args, "--check-mode", "forced"))
    assert "01_by_a.sql:2: unknown table 'nosuch_table'" in line
