"""The timed loop on real servers (PG15, PG18): at least 3 timed executions whatever
--iterations says, and the server's own execution time next to the round trip."""

from __future__ import annotations

import psycopg

from plinto_db.bench.server_time import pgss_available
from plinto_db.bench.timing import TimingOptions, time_checks
from plinto_db.bench.values import resolve_values
from plinto_db.check.workload import load_workload
from plinto_db.resources import resolve_dir


def timed(dsn: str, names: set[str], options: TimingOptions):
    checks = tuple(c for c in load_workload(resolve_dir("checks")) if c.name in names)
    with psycopg.connect(dsn, autocommit=True) as conn:
        return time_checks(conn, checks, resolve_values(conn, checks), options)


def test_one_iteration_asked_still_times_three_executions(seeded_db):
    figures = timed(seeded_db, {"25_sessions_list_mine"}, TimingOptions(iterations=1, warmup=0))
    timing = figures["25_sessions_list_mine"].timing
    assert timing is not None and timing.iterations == 3 and not timing.budget_hit
    assert timing.p50_low_ms <= timing.p50_ms <= timing.p50_high_ms


def test_the_server_time_is_measured_next_to_the_round_trip(seeded_db):
    names = {"25_sessions_list_mine", "05_sessions_expire_sweep"}
    figures = timed(seeded_db, names, TimingOptions(iterations=20, warmup=2, max_seconds=1.0))
    with psycopg.connect(seeded_db, autocommit=True) as conn:
        source = "pg_stat_statements" if pgss_available(conn) else "executor"
    for name in names:
        server = figures[name].server
        assert server is not None and server.source == source, name
        assert server.calls >= 3 and server.mean_ms > 0 and server.stddev_ms >= 0
