"""The loop's first step on a real workload: the companion API (`plinto-db serve`) under a
short, bounded HTTP load on loopback, pg_stat_statements on; `capture` writes checks that
`check` runs without an edit (PostgreSQL 15 and 18).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psycopg
from test_api_serve import CHECKS, get, start_serve, stopped_clean

from plinto_db.capture.run import Action, CaptureRequest, run_capture
from plinto_db.check.run import CheckRequest, run_checks
from plinto_db.check.workload import load_workload

ROUNDS = 3  # requests per endpoint: enough for pg_stat_statements, bounded for a loaded machine
FLOWS = ("session-validation", "my-sessions", "org-dashboard", "webhook-retry-sweep", "sign-in")


def drive(base: str) -> int:
    """Every check endpoint and flow, ROUNDS times; how many answered 200."""
    answered = 0
    paths = [f"/q/{check.name}" for check in load_workload(CHECKS)]
    paths += [f"/flow/{flow}" for flow in FLOWS]
    for _ in range(ROUNDS):
        for path in paths:
            answered += get(f"{base}{path}")[0] == 200
    return answered


def test_a_workload_captured_from_the_api_under_load_runs_under_check(new_db, tmp_path: Path):
    dsn = new_db("seeded")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    process, base = start_serve(dsn, tmp_path, workers=1)
    try:
        answered = drive(base)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    stopped_clean(process, tmp_path, signal.SIGTERM)
    assert answered >= ROUNDS * 50  # the endpoints answered (a few may have no start-up value)

    out = tmp_path / "captured"
    run = run_capture(CaptureRequest(dsn=dsn, out=out, cover=1.0))
    written = [o for o in run.outcomes if o.action is Action.WRITTEN]
    assert len(written) >= 40, [(o.action, o.reason, o.query) for o in run.outcomes]
    skipped = [o for o in run.outcomes if o.action is Action.SKIPPED]
    assert len(skipped) <= 3, [(o.reason, o.query) for o in skipped]

    natural = run_checks(CheckRequest(dsn=dsn, checks_path=out))  # no parse or usage error
    errors = [(r.check.name, r.reasons) for r in natural.results if r.verdict.value == "error"]
    assert errors == []
    for result in natural.results:  # failures are honest: a sequential read expected away
        if result.verdict.value == "fail":
            assert "no-seqscan" in result.check.describe_expected(), result.reasons
    generic_dir = out / "generic"
    if generic_dir.is_dir():
        generic = run_checks(CheckRequest(dsn=dsn, checks_path=generic_dir, mode="generic"))
        assert all(r.verdict.value != "error" for r in generic.results)
