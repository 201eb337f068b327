"""Every statistic a bench reports, pinned without a server: samples whose p50, p95, p99,
max and mean all differ, so reporting the wrong one fails. Percentiles at 3, 5, 17 and 100
samples, the median's interval, speedup from p50 (not the mean) and its interval, the
server's figures, buffers, write cost after/before, ours against pgbench mean to mean, the
verdicts, the same-plan noise control, the statements that finish a failed restore."""

from __future__ import annotations

import ast
import math
import random
import statistics
from pathlib import Path

import pytest

from plinto_db.bench import intervals
from plinto_db.bench.finish import finishing_statements
from plinto_db.bench.model import (
    Phase,
    QueryPhase,
    ServerTiming,
    Verdict,
    WriteFigure,
    WritePhase,
    WriteRow,
)
from plinto_db.bench.server_time import Snapshot, difference
from plinto_db.bench.stats import compare, noise, percentile, pgbench_comparison, summarize
from plinto_db.catalog.spec import IndexKey, IndexSpec

BOTH = (Phase.BEFORE, Phase.AFTER)
CATALOG = {"idx_sessions_user_id", "idx_sessions_token", "idx_a", "idx_c"}
PACKAGE = Path(__file__).resolve().parent.parent / "plinto_db"


def skewed(n: int, base: float = 1.0) -> list[int]:
    """n latencies in ns, shuffled: i² grows faster than i, so mean, p50, p95, p99 and max
    are all different numbers."""
    values = [int((base + i * i / 100) * 1e6) for i in range(1, n + 1)]
    random.Random(n).shuffle(values)
    return values


@pytest.mark.parametrize(
    ("n", "p50", "p95", "p99"),
    [
        (3, 2, 3, 3),  # ranks ceil(1.5)=2, ceil(2.85)=3, ceil(2.97)=3
        (5, 3, 5, 5),
        (17, 9, 17, 17),  # ceil(8.5)=9, ceil(16.15)=17
        (100, 50, 95, 99),
    ],
)
def test_the_percentile_is_the_nearest_rank_at_3_5_17_and_100_samples(n, p50, p95, p99):
    ordered = [float(10 * i) for i in range(1, n + 1)]
    assert percentile(ordered, 50) == 10 * p50
    assert percentile(ordered, 95) == 10 * p95
    assert percentile(ordered, 99) == 10 * p99


def test_summarize_reports_each_figure_from_samples_where_all_differ():
    samples = skewed(100)
    timing = summarize(samples, 2.0, warmup=3)
    ordered = sorted(s / 1e6 for s in samples)
    figures = (timing.p50_ms, timing.p95_ms, timing.p99_ms, timing.max_ms, timing.mean_ms)
    assert len(set(figures)) == 5
    assert timing.p50_ms == pytest.approx(1 + 50 * 50 / 100)
    assert timing.p95_ms == pytest.approx(1 + 95 * 95 / 100)
    assert timing.p99_ms == pytest.approx(1 + 99 * 99 / 100)
    assert timing.max_ms == pytest.approx(1 + 100 * 100 / 100)
    assert timing.mean_ms == pytest.approx(statistics.fmean(ordered))
    assert timing.qps == pytest.approx(50.0) and timing.iterations == 100
    assert (timing.p50_low_ms, timing.p50_high_ms) == (ordered[39], ordered[60])


@pytest.mark.parametrize(
    ("n", "ranks"), [(3, (1, 3)), (5, (1, 5)), (6, (1, 6)), (17, (5, 13)), (100, (40, 61))]
)
def test_the_median_interval_takes_the_order_statistics_of_a_95_percent_interval(n, ranks):
    assert intervals.median_ranks(n) == ranks
    low, high = ranks
    covered = sum(math.comb(n, k) for k in range(low, high)) / 2**n
    assert covered >= 0.95 or (low, high) == (1, n)  # below 6 samples: the whole range


def test_the_median_interval_of_a_large_sample_is_about_a_root_n_wide():
    low, high = intervals.median_ranks(10_000)
    assert (low, high) == (4902, 5099)


def phase(
    samples_ms: list[float],
    indexes=(),
    seq=(),
    buffers=10,
    plan="",
    server: ServerTiming | None = None,
) -> QueryPhase:
    timing = summarize([int(v * 1e6) for v in samples_ms], 1.0, warmup=0)
    return QueryPhase(
        timing=timing,
        buffers=buffers,
        indexes=tuple(indexes),
        index_tables=tuple((name, "sessions") for name in indexes),
        seq_tables=tuple(seq),
        plan=plan or ("Seq Scan on sessions" if seq else "Index Scan on sessions"),
        server=server,
    )


SLOW = [40.0, 50.0, 52.0, 55.0, 60.0, 400.0]  # p50 52, mean ~109.5: an outlier
FAST = [0.05, 0.06, 0.08, 0.09, 0.10, 9.0]  # p50 0.08, mean ~1.56


def test_the_speedup_is_before_p50_over_after_p50_not_the_means():
    row = compare(
        "q",
        "",
        BOTH,
        phase(SLOW, seq=["sessions"], buffers=12_000),
        phase(FAST, ["idx_sessions_user_id"], buffers=7),
        CATALOG,
    )
    assert row.speedup_p50 == pytest.approx(52.0 / 0.08)
    assert row.speedup_p50 != pytest.approx(statistics.fmean(SLOW) / statistics.fmean(FAST))
    assert row.buffers_ratio == pytest.approx(12_000 / 7)
    # 6 samples: the interval is the range, the widest the two allow
    assert row.speedup_low == pytest.approx(40.0 / 9.0)
    assert row.speedup_high == pytest.approx(400.0 / 0.05)
    assert row.verdict is Verdict.HELPED and not row.same_plan


def test_the_server_mean_decides_when_its_interval_is_tighter():
    loose = [0.1, 0.1, 0.5, 2.0, 3.0]
    before = phase(loose, ["ix_jti"], server=ServerTiming(0.020, 0.002, 200, "pg_stat_statements"))
    after = phase(loose, ["ix_jti"], server=ServerTiming(0.019, 0.002, 200, "pg_stat_statements"))
    row = compare("q", "", BOTH, before, after, CATALOG)
    assert row.server_speedup == pytest.approx(0.020 / 0.019)
    half = intervals.Z95 * 0.002 / math.sqrt(200)
    assert row.server_low == pytest.approx((0.020 - half) / (0.019 + half))
    assert row.server_high == pytest.approx((0.020 + half) / (0.019 - half))
    assert row.decided_on == "server mean" and row.speedup == row.server_speedup
    assert row.interval == (row.server_low, row.server_high)


def test_the_client_p50_decides_when_the_server_figure_is_missing_or_looser():
    tight = [1.0, 1.0, 1.0, 1.0, 1.01, 1.01, 1.01, 1.01]
    server = ServerTiming(0.5, 5.0, 3, "executor")
    row = compare("q", "", BOTH, phase(tight, server=server), phase(tight, server=server), set())
    assert row.decided_on == "client p50" and row.speedup == row.speedup_p50
    alone = compare("q", "", BOTH, phase(tight), phase(tight), set())
    assert alone.server_speedup is None and alone.decided_on == "client p50"


def test_write_cost_is_after_over_before_throughput_not_inverted():
    before = WritePhase("sessions", "insert", "INSERT ...", WriteFigure(1000.0, 2000, 3, 2.0))
    after = WritePhase("sessions", "insert", "INSERT ...", WriteFigure(400.0, 2000, 3, 5.0))
    row = WriteRow("sessions", "insert", "INSERT ...", before, after)
    assert row.after_over_before == pytest.approx(0.4)  # the catalog costs 60 % of inserts


def test_ours_is_set_against_pgbench_mean_to_mean():
    timing = summarize([int(v * 1e6) for v in (0.2, 0.2, 0.2, 0.3, 0.6)], 1.0, warmup=0)
    compared = pgbench_comparison(timing, 0.25)
    assert compared["ours_mean_ms"] == pytest.approx(0.3)
    assert compared["ours_p50_ms"] == pytest.approx(0.2)
    assert compared["ours_mean_over_pgbench"] == pytest.approx(0.3 / 0.25)  # not p50's 0.8
    assert pgbench_comparison(None, 0.25)["ours_mean_over_pgbench"] is None


def test_the_same_set_of_indexes_in_another_order_is_same_index():
    row = compare(
        "q",
        "",
        BOTH,
        phase(SLOW, ["ix_a", "ix_b"], plan="Index Scan on a; Index Scan on b"),
        phase(SLOW, ["ix_b", "ix_a"], plan="Index Scan on a; Index Scan on b"),
        CATALOG,
    )
    assert row.verdict is Verdict.SAME_INDEX and row.same_plan
    assert row.speedup_p50 == pytest.approx(1.0)


def test_a_partial_overlap_of_indexes_is_not_same_index():
    row = compare(
        "q",
        "",
        BOTH,
        phase(SLOW, ["ix_b", "idx_a"], plan="Index Scan on a; Index Scan on b"),
        phase(FAST, ["idx_a", "idx_c"], plan="Index Scan on a; Index Scan on b"),
        CATALOG,
    )
    assert row.verdict is Verdict.REPLACED and not row.same_plan
    assert row.reason == "idx_a, idx_c instead of ix_b, idx_a"


def test_replaced_covers_a_large_gain_and_says_what_it_replaced():
    row = compare(
        "q",
        "",
        BOTH,
        phase(SLOW, ["ix_sessions_status"]),
        phase(FAST, ["idx_sessions_token"]),
        CATALOG,
    )
    assert row.verdict is Verdict.REPLACED and row.speedup_p50 > 100
    assert row.reason == "idx_sessions_token instead of ix_sessions_status"


def test_not_helped_with_the_same_scans_in_both_phases_is_a_noise_control():
    row = compare("q", "", BOTH, phase(SLOW, seq=["p"]), phase(FAST, seq=["p"]), CATALOG)
    assert row.verdict is Verdict.NOT_HELPED and row.same_plan


def control(check: str, before: list[float], after: list[float]):
    return compare(check, "", BOTH, phase(before, ["ix"]), phase(after, ["ix"]), CATALOG)


def test_same_plan_rows_that_stray_from_1x_beyond_their_interval_flag_the_machine():
    steady = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7]
    rows = [
        control("steady", steady, list(reversed(steady))),
        control("noisy", [3.4, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1], steady),
        compare("helped", "", BOTH, phase(SLOW, seq=["s"]), phase(FAST, ["idx_a"]), CATALOG),
    ]
    found = noise(rows)
    assert found.controls == 2 and found.noisy
    assert [check for check, _ in found.strayed] == ["noisy"]
    assert found.factor == pytest.approx(3.7 / 1.3)  # the 4th of 8 values, both phases
    assert "the machine was noisy: 1 of 2" in found.sentence()
    quiet = noise(rows[:1] + rows[2:])
    assert not quiet.noisy and quiet.factor == 1.0
    assert "no sign of noise" in quiet.sentence()


def test_the_server_figures_of_the_loop_are_the_difference_of_two_snapshots():
    earlier = [0.5, 0.7, 0.9, 0.4]
    loop = [0.10, 0.12, 0.11, 0.30, 0.09]

    def snap(values: list[float]) -> Snapshot:
        mean = statistics.fmean(values)
        return Snapshot(len(values), sum(values), sum((v - mean) ** 2 for v in values))

    timed = difference(snap(earlier), snap(earlier + loop))
    assert timed is not None and timed.calls == 5
    assert timed.mean_ms == pytest.approx(statistics.fmean(loop))
    assert timed.stddev_ms == pytest.approx(statistics.pstdev(loop))
    first = difference(Snapshot(0, 0.0, 0.0), snap(loop))
    assert first is not None and first.stddev_ms == pytest.approx(statistics.pstdev(loop))
    assert difference(snap(loop), snap(loop)) is None  # nothing ran in between


SPECS = tuple(
    IndexSpec(f"idx_{c}", None, "t", False, "btree", (IndexKey(c, c),), None, Path("x.sql"), n)
    for n, c in enumerate("abc", start=1)
)


def test_the_finishing_statements_converge_to_what_was_found():
    states = {"idx_a": "valid", "idx_b": "invalid", "idx_c": "valid"}
    statements = finishing_statements(SPECS, {"idx_a": "app"}, {"idx_a", "idx_b"}, states)
    assert statements == [
        "DROP INDEX CONCURRENTLY IF EXISTS idx_b;",
        "CREATE INDEX CONCURRENTLY idx_b ON t USING btree (b);",
        "DROP INDEX CONCURRENTLY IF EXISTS idx_c;",
    ]


def test_without_the_server_the_finishing_statements_never_drop_what_should_stay():
    statements = finishing_statements(SPECS, {"idx_a": "app", "idx_c": "app"}, {"idx_a"}, None)
    assert statements == [
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON t USING btree (a);",
        "DROP INDEX CONCURRENTLY IF EXISTS idx_b;",
        "DROP INDEX CONCURRENTLY IF EXISTS app.idx_c;",
    ]


def imported(module: Path) -> set[str]:
    tree = ast.parse(module.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_bench_phase_and_run_do_not_import_each_other():
    assert "plinto_db.bench.run" not in imported(PACKAGE / "bench" / "phase.py")
    assert "plinto_db.bench.phase" in imported(PACKAGE / "bench" / "run.py")
