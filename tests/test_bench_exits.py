"""Every way a bench can end, on real servers (PG15, PG18): what it says, its exit code, and
the catalog and rows it leaves. An ordinary error mid-phase, a build that fails in the after
phase, a driver error during the restore, an HTTP phase that fails, a VACUUM that fails, a
check that writes chosen for pgbench."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import psycopg
import pytest
from test_bench_support import apply_some, catalog_states, fingerprint, run

from plinto_db.bench.events import BenchEvents
from plinto_db.bench.model import Phase, PhaseStatus
from plinto_db.bench.output import write_outputs
from plinto_db.bench.run import BenchRequest, run_bench
from plinto_db.bench.timing import TimingOptions, time_checks
from plinto_db.bench.values import resolve_values
from plinto_db.check.workload import load_workload
from plinto_db.errors import ExitCode, PlintoError
from plinto_db.report.bench import summary_lines
from plinto_db.resources import resolve_dir

QUICK = TimingOptions(iterations=5, warmup=1, max_seconds=0.3)
SOME = ["idx_sessions_user_id", "idx_users_email_status"]


def request(dsn: str, out: Path, **changes) -> BenchRequest:
    values = dict(
        dsn=dsn,
        checks_dir=resolve_dir("checks"),
        indexes_dir=resolve_dir("indexes"),
        out_dir=out,
        only=("25_sessions_list_mine",),
        timing=QUICK,
        writes=None,
        pgbench_seconds=0,
        confirmed=True,
    )
    values.update(changes)
    return BenchRequest(**values)


def bench(tmp_path: Path, dsn: str, *args: str):
    """`plinto-db bench` on `dsn`, small: 5 executions, no write cost, no pgbench unless
    `args` ask for it, the report in tmp_path/out."""
    quick = ("--iterations", "5", "--write-tables", "none", "--pgbench-seconds", "0")
    out = ("--out", str(tmp_path / "out"))
    return run(tmp_path, "bench", "--dsn", dsn, "--yes", *quick, *args, *out)


def admin_dsn(dsn: str) -> tuple[str, str]:
    """A DSN on the server's `postgres` database, and the name of the test database."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    name = params["dbname"]
    params["dbname"] = "postgres"
    return psycopg.conninfo.make_conninfo(**params), name


def allow_connections(dsn: str, allowed: bool) -> None:
    admin, name = admin_dsn(dsn)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')


def test_an_ordinary_error_in_the_middle_of_a_phase_restores_the_catalog(new_db, tmp_path):
    dsn = new_db("seeded")
    apply_some(dsn, SOME)
    found = catalog_states(dsn)

    def broken(phase: str) -> None:
        raise RuntimeError(f"a bug between the build and the timing ({phase})")

    with pytest.raises(RuntimeError, match="a bug between"):
        run_bench(request(dsn, tmp_path / "out", after_build=broken))
    assert catalog_states(dsn) == found  # the after phase had built all 45: dropped again


def test_a_build_that_fails_in_the_after_phase_exits_1_and_restores(new_db, tmp_path):
    dsn = new_db("seeded")
    found = catalog_states(dsn)
    catalog = tmp_path / "indexes"
    catalog.mkdir()
    (catalog / "01.sql").write_text(
        "CREATE INDEX CONCURRENTLY idx_sessions_user_id ON sessions (user_id);\n"
        "-- sessions.status repeats: this unique build fails\n"
        "CREATE UNIQUE INDEX CONCURRENTLY idx_bench_status_unique ON sessions (status);\n"
    )
    done = bench(tmp_path, dsn, "--indexes", str(catalog), "--only", "25_sessions_list_mine")
    assert done.returncode == 1, done.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    after = {p["name"]: p for p in doc["phases"]}["after"]
    assert after["status"] == "failed" and "idx_bench_status_unique" in after["error"]
    assert doc["catalog"]["restored"] is True and doc["exit_code"] == 1
    assert "after: failed" in done.stdout
    with psycopg.connect(dsn) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname IN "
            "('idx_sessions_user_id', 'idx_bench_status_unique')"
        ).fetchone()[0]
    assert left == 0  # neither was there when the run started
    assert catalog_states(dsn) == found


class CutOffAfterTiming(BenchEvents):
    """When the last phase's queries are timed, the database stops taking connections: the
    restore that follows meets a real driver error."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    @contextlib.contextmanager
    def queries(self, phase: Phase, total: int):
        yield lambda name: None
        allow_connections(self.dsn, False)


def test_a_driver_error_during_the_restore_says_not_restored_and_exits_1(new_db, tmp_path):
    dsn = new_db("seeded")
    apply_some(dsn, SOME)
    found = catalog_states(dsn)
    try:
        result = run_bench(
            request(dsn, tmp_path / "out", phases=(Phase.BEFORE,)), CutOffAfterTiming(dsn)
        )
    finally:
        allow_connections(dsn, True)
    assert result.exit_code is ExitCode.FAILED
    assert result.catalog["restored"] is False and result.catalog["restore_error"]
    doc = write_outputs(result).document
    lines = summary_lines(doc)
    assert any(line.startswith("catalog NOT restored as found: ") for line in lines)
    finish = result.catalog["finish"]
    # the server cannot tell the state: idempotent statements for every catalog index
    creates = [s for s in finish if s.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS")]
    assert sorted(s.split()[6] for s in creates) == sorted(SOME)
    assert len(finish) == 45 and all(
        s.startswith("DROP INDEX CONCURRENTLY IF EXISTS ") for s in finish if s not in creates
    )
    assert all(f"  {statement}" in lines for statement in finish)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "NOT restored as found" in report and finish[0] in report
    assert catalog_states(dsn) != found  # the before phase dropped them: the bench said so
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in finish:
            conn.execute(statement)
    assert catalog_states(dsn) == found  # the statements it printed finish the job


def test_an_http_phase_that_fails_makes_the_exit_code_1(new_db, tmp_path):
    from plinto_db.bench.http import HttpLoad

    dsn = new_db("seeded")
    result = run_bench(request(dsn, tmp_path / "out", http=HttpLoad(users=0)))
    assert [p.status for p in result.phases] == [PhaseStatus.DONE, PhaseStatus.DONE]
    assert all(p.http_error and "--http-users 0" in p.http_error for p in result.phases)
    assert result.exit_code is ExitCode.FAILED
    doc = write_outputs(result).document
    assert doc["exit_code"] == 1
    assert any(line.startswith("http before: no numbers") for line in summary_lines(doc))


def test_a_vacuum_that_fails_after_a_writing_check_is_said(new_db):
    """Another session holds SHARE UPDATE EXCLUSIVE on sessions: the UPDATE still runs (and
    is rolled back), the VACUUM after it cannot get its lock within lock_timeout."""
    dsn = new_db("seeded")
    checks = tuple(c for c in load_workload(resolve_dir("checks")) if c.name.startswith("05_"))
    holder = psycopg.connect(dsn)
    try:
        holder.execute("LOCK TABLE sessions IN SHARE UPDATE EXCLUSIVE MODE")
        with psycopg.connect(dsn, autocommit=True) as conn:
            values = resolve_values(conn, checks)
            timed = time_checks(conn, checks, values, QUICK)
    finally:
        holder.rollback()
        holder.close()
    (figures,) = timed.values()
    assert figures.measured and figures.rolled_back
    failed = [n for n in figures.notes if n.startswith("VACUUM public.sessions failed")]
    assert failed and "lock timeout" in failed[0] and "row versions stay" in failed[0]


def test_a_check_that_writes_never_goes_to_pgbench_and_the_rows_stay(new_db, tmp_path):
    dsn = new_db("seeded")
    with psycopg.connect(dsn) as conn:
        expired = conn.execute(
            "SELECT count(*) FROM sessions WHERE expires_at < now() AND status = 'active'"
        ).fetchone()[0]
    assert expired > 0  # the sweep would change rows if anything committed it
    rows = fingerprint(dsn)
    done = bench(
        tmp_path,
        dsn,
        "--only",
        "05_sessions_expire_sweep,25_sessions_list_mine",
        "--pgbench-check",
        "05_sessions_expire_sweep",
        "--pgbench-check",
        "25_sessions_list_mine",
        "--pgbench-seconds",
        "1",
    )
    assert done.returncode == 0, done.stderr
    assert fingerprint(dsn) == rows
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    (left,) = doc["pgbench"]["left_out"]
    assert left["check"] == "05_sessions_expire_sweep" and "changes data" in left["reason"]
    assert set(doc["pgbench"]["after"]) == {"25_sessions_list_mine"}
    assert "pgbench left out 05_sessions_expire_sweep: changes data" in done.stdout
    assert "Left out of pgbench" in (tmp_path / "out" / "report.md").read_text()


def test_ctrl_c_whose_restore_fails_says_not_restored_and_prints_the_statements(new_db, tmp_path):
    from test_bench_interrupt import SLOW, interrupt_when

    dsn = new_db("seeded")
    apply_some(dsn, SOME)
    found = catalog_states(dsn)
    try:
        code, stderr = interrupt_when(
            tmp_path,
            ["--dsn", dsn, "--yes", *SLOW],
            "before: timing",
            delay=0.5,
            before_signal=lambda: allow_connections(dsn, False),
        )
    finally:
        allow_connections(dsn, True)
    assert code == 1, stderr
    assert "the catalog is restored as found" not in stderr
    assert "interrupted during the before phase; the catalog is NOT restored as found" in stderr
    assert "Traceback" not in stderr
    statements = [line.strip() for line in stderr.splitlines() if "INDEX CONCURRENTLY" in line]
    assert len(statements) == 45, stderr
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
    assert catalog_states(dsn) == found


def test_a_failed_restore_raises_nothing_else_than_the_phase_error(new_db, tmp_path):
    """The ordinary error and a failed restore together: the error reaches the caller, the
    restore's failure is said on the way."""
    dsn = new_db("seeded")
    apply_some(dsn, SOME)
    heard: list[str] = []

    class Listening(BenchEvents):
        def note(self, text: str) -> None:
            heard.append(text)

    def broken(phase: str) -> None:
        allow_connections(dsn, False)
        raise PlintoError("the demo's check failed", exit_code=ExitCode.FAILED)

    try:
        with pytest.raises(PlintoError, match="the demo's check failed"):
            run_bench(request(dsn, tmp_path / "out", after_build=broken), Listening())
    finally:
        allow_connections(dsn, True)
    assert any("the catalog is NOT restored as found" in text for text in heard)
