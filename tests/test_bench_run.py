"""A small bench end to end on real servers (PG15, PG18): the report's structure, a query only
the catalog serves is faster (and reads far fewer buffers) after than before, the rows and the
catalog are left as found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_bench_support import SMALL, apply_some, catalog_states, fingerprint, run

from plinto_db.bench.model import Phase
from plinto_db.bench.output import write_outputs
from plinto_db.bench.run import BenchRequest, run_bench
from plinto_db.bench.timing import TimingOptions
from plinto_db.bench.writes import WriteOptions
from plinto_db.resources import resolve_dir

CHECKS = (
    "03_sessions_validate_fast",
    "25_sessions_list_mine",
    "02_users_current_user",
    "05_sessions_expire_sweep",
)


def request(dsn: str, out: Path, **changes) -> BenchRequest:
    values = dict(
        dsn=dsn,
        checks_dir=resolve_dir("checks"),
        indexes_dir=resolve_dir("indexes"),
        out_dir=out,
        only=CHECKS,
        timing=TimingOptions(iterations=20, warmup=2, max_seconds=0.5),
        writes=WriteOptions(rows=200, rounds=1),
        pgbench_seconds=1,
        confirmed=True,
    )
    values.update(changes)
    return BenchRequest(**values)


def by_check(doc: dict) -> dict[str, dict]:
    return {q["check"]: q for q in doc["queries"]}


def test_small_bench_reports_both_phases_and_the_catalog_query_is_faster_after(new_db, tmp_path):
    dsn = new_db("seeded")
    found, rows = catalog_states(dsn), fingerprint(dsn)
    result = run_bench(request(dsn, tmp_path / "out"))
    written = write_outputs(result)
    doc = json.loads(written.results.read_text())

    assert int(result.exit_code) == 0
    for key in ("server", "machine", "rows", "queries", "writes", "http", "pgbench"):
        assert key in doc
    assert doc["rows"]["public.sessions"] > 0 and doc["server"]["settings"]["work_mem"]
    assert [p["status"] for p in doc["phases"]] == ["done", "done"]
    mine = by_check(doc)["25_sessions_list_mine"]
    for phase in ("before", "after"):
        for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "qps", "buffers", "index"):
            assert key in mine[phase]
    assert mine["verdict"] == "helped"
    assert mine["before"]["index"] is None and mine["after"]["index"].startswith("idx_sessions")
    assert mine["before"]["buffers"] >= 10 * mine["after"]["buffers"]
    assert mine["before"]["p50_ms"] > mine["after"]["p50_ms"]
    assert mine["speedup_p50"] > 1
    validate = by_check(doc)["03_sessions_validate_fast"]
    assert validate["before"]["index"] == "ix_sessions_access_token_jti"  # the base schema's
    sweep = by_check(doc)["05_sessions_expire_sweep"]
    assert sweep["after"]["rolled_back"] is True
    assert {(w["table"], w["operation"]) for w in doc["writes"]} == {
        ("public.sessions", "insert"),
        ("public.sessions", "update"),
        ("public.activity_logs", "insert"),
        ("public.activity_logs", "update"),
    }
    assert all(w["before"]["ops_per_s"] > 0 and w["after"]["ops_per_s"] > 0 for w in doc["writes"])
    assert sum(s["bytes"] for s in doc["catalog_size"]) > 0
    assert doc["pgbench"]["after"]["03_sessions_validate_fast"]["latency_ms"] > 0
    assert (tmp_path / "out" / "report.md").read_text().startswith("# plinto-db bench")
    assert "queries.png" in written.charts and (tmp_path / "out" / "queries.png").stat().st_size
    assert catalog_states(dsn) == found  # nothing of the catalog was there, nothing is left
    assert fingerprint(dsn) == rows  # inserts, updates and the sweep were rolled back


def test_the_catalog_found_partly_built_is_restored_exactly(new_db, tmp_path):
    dsn = new_db("seeded")
    apply_some(dsn, ["idx_sessions_user_id", "idx_users_email_status"])
    found = catalog_states(dsn)
    assert sorted(n for n, s in found.items() if s == "valid") == [
        "idx_sessions_user_id",
        "idx_users_email_status",
    ]
    result = run_bench(
        request(
            dsn, tmp_path / "out", only=("25_sessions_list_mine",), writes=None, pgbench_seconds=0
        )
    )
    assert result.catalog["restored"] is True
    assert catalog_states(dsn) == found


def test_after_only_measures_no_speedup(new_db, tmp_path):
    dsn = new_db("seeded")
    result = run_bench(
        request(
            dsn,
            tmp_path / "out",
            only=("25_sessions_list_mine",),
            phases=(Phase.AFTER,),
            writes=None,
            pgbench_seconds=0,
        )
    )
    (row,) = result.queries
    assert row.verdict.value == "not-measured" and row.speedup_p50 is None
    assert row.after is not None and row.after.measured


@pytest.mark.parametrize("fmt", ["json"])
def test_the_command_writes_the_folder_and_prints_results_json(new_db, tmp_path, fmt):
    dsn = new_db("seeded")
    out = tmp_path / "report"
    done = run(
        tmp_path,
        "bench",
        "--dsn",
        dsn,
        "--yes",
        "--only",
        "25_sessions_list_mine",
        "--write-tables",
        "none",
        "--pgbench-seconds",
        "0",
        "--out",
        str(out),
        "--format",
        fmt,
        *SMALL,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["queries"][0]["check"] == "25_sessions_list_mine"
    assert doc["writes"] == [] and doc["pgbench"] is None and doc["http"] is None
    assert json.loads((out / "results.json").read_text())["queries"] == doc["queries"]
