"""Pure arithmetic of a bench: percentiles, ratios, and what the catalog did for a query."""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Sequence

from plinto_db.bench import intervals
from plinto_db.bench.model import (
    CLIENT_P50,
    SERVER_MEAN,
    Phase,
    QueryPhase,
    QueryRow,
    Timing,
    Verdict,
)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sample: the smallest value with at least p %
    of the sample at or below it (p50 of 4 values is the 2nd; p99 of 50 values is the max)."""
    if not ordered:
        raise ValueError("percentile of an empty sample")
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} outside (0, 100]")
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def summarize(
    samples_ns: Sequence[int], wall_seconds: float, *, warmup: int, budget_hit: bool = False
) -> Timing:
    """Timing of the timed loop: latencies in ns of each execution, and the loop's wall time."""
    if not samples_ns:
        raise ValueError("no timed iterations")
    ordered = sorted(s / 1e6 for s in samples_ns)
    low, high = intervals.median_interval(ordered)
    return Timing(
        p50_ms=percentile(ordered, 50),
        p95_ms=percentile(ordered, 95),
        p99_ms=percentile(ordered, 99),
        max_ms=ordered[-1],
        mean_ms=statistics.fmean(ordered),
        qps=len(ordered) / wall_seconds if wall_seconds > 0 else 0.0,
        iterations=len(ordered),
        warmup=warmup,
        seconds=wall_seconds,
        budget_hit=budget_hit,
        p50_low_ms=low,
        p50_high_ms=high,
    )


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def compare(
    check: str,
    description: str,
    phases: Collection[Phase],
    before: QueryPhase | None,
    after: QueryPhase | None,
    catalog: Collection[str],
) -> QueryRow:
    """One row of the report: the speedup only when both phases measured it, its interval,
    the server's own figure next to it, and why."""
    verdict, reason = _verdict(phases, before, after, set(catalog))
    if not (before and after and before.measured and after.measured):
        return QueryRow(check, description, before, after, None, None, verdict, reason)
    assert before.timing is not None and after.timing is not None
    client = intervals.ratio_interval(_p50_interval(before.timing), _p50_interval(after.timing))
    server, server_interval = _server_speedup(before, after)
    tighter = intervals.tightness(server_interval) < intervals.tightness(client)
    return QueryRow(
        check,
        description,
        before,
        after,
        speedup_p50=ratio(before.timing.p50_ms, after.timing.p50_ms),
        buffers_ratio=ratio(before.buffers, after.buffers),
        verdict=verdict,
        reason=reason,
        speedup_low=client[0] if client else None,
        speedup_high=client[1] if client else None,
        same_plan=same_plan(before, after),
        server_speedup=server,
        server_low=server_interval[0] if server_interval else None,
        server_high=server_interval[1] if server_interval else None,
        decided_on=SERVER_MEAN if server is not None and tighter else CLIENT_P50,
    )


def same_plan(before: QueryPhase, after: QueryPhase) -> bool:
    """The same scans on the same tables through the same set of indexes in both phases."""
    return before.plan == after.plan and set(before.indexes) == set(after.indexes)


def _p50_interval(timing: Timing) -> tuple[float, float] | None:
    if timing.p50_low_ms is None or timing.p50_high_ms is None:
        return None
    return timing.p50_low_ms, timing.p50_high_ms


def _server_speedup(
    before: QueryPhase, after: QueryPhase
) -> tuple[float | None, tuple[float, float] | None]:
    b, a = before.server, after.server
    if b is None or a is None:
        return None, None
    interval = intervals.ratio_interval(
        intervals.mean_interval(b.mean_ms, b.stddev_ms, b.calls),
        intervals.mean_interval(a.mean_ms, a.stddev_ms, a.calls),
    )
    return ratio(b.mean_ms, a.mean_ms), interval


def noise(rows: Collection[QueryRow]) -> intervals.Noise:
    """The same-plan rows measured in both phases, and those whose client p50 interval
    leaves out 1x."""
    controls = [r for r in rows if r.same_plan and r.speedup_p50 is not None]
    strayed = tuple(
        (r.check, r.speedup_p50)
        for r in controls
        if r.speedup_p50 is not None and intervals.strays(_pair(r.speedup_low, r.speedup_high))
    )
    return intervals.Noise(len(controls), strayed)


def _pair(low: float | None, high: float | None) -> tuple[float, float] | None:
    return None if low is None or high is None else (low, high)


def pgbench_comparison(ours: Timing | None, latency_ms: float | None) -> dict:
    """Ours next to pgbench, like with like: pgbench's "latency average" is a mean over its
    transactions and includes the client round trip, so it is set against our mean (which
    includes ours), never our median."""
    return {
        "ours_p50_ms": ours.p50_ms if ours else None,
        "ours_mean_ms": ours.mean_ms if ours else None,
        "ours_mean_over_pgbench": ratio(ours.mean_ms, latency_ms) if ours else None,
    }


def _verdict(
    phases: Collection[Phase],
    before: QueryPhase | None,
    after: QueryPhase | None,
    catalog: set[str],
) -> tuple[Verdict, str]:
    for phase, figures in ((Phase.BEFORE, before), (Phase.AFTER, after)):
        if phase in phases and figures is not None and not figures.measured:
            return _failed(phase, figures)
    if len(set(phases)) < 2 or before is None or after is None:
        only = next(iter(phases)).value if phases else "no"
        return Verdict.NOT_MEASURED, f"only the {only} phase was run: no speedup"
    if before.indexes and set(before.indexes) == set(after.indexes):
        return Verdict.SAME_INDEX, f"same index before and after: {', '.join(after.indexes)}"
    used_after = [(index, table) for index, table in after.index_tables if index in catalog]
    if not used_after:
        now = ", ".join(after.indexes) if after.indexes else after.plan or "no index"
        return Verdict.NOT_HELPED, f"no catalog index in the after plan ({now})"
    names = ", ".join(dict.fromkeys(index for index, _ in used_after))
    scanned = [table for _, table in used_after if table in before.seq_tables]
    if scanned:
        return Verdict.HELPED, f"{names} instead of a sequential scan of {scanned[0]}"
    was = ", ".join(before.indexes) if before.indexes else before.plan or "no index"
    return Verdict.REPLACED, f"{names} instead of {was}"


def _failed(phase: Phase, figures: QueryPhase) -> tuple[Verdict, str]:
    if figures.skipped:
        return Verdict.SKIPPED, figures.error or "skipped"
    return Verdict.FAILED, f"{phase.value}: {figures.error or 'not measured'}"


def sort_key(row: QueryRow) -> tuple[int, float, str]:
    """Largest speedup first; rows without a speedup after, by name."""
    if row.speedup is None:
        return (1, 0.0, row.check)
    return (0, -row.speedup, row.check)


def format_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}×"
    if value >= 10:
        return f"{value:.0f}×"
    return f"{value:.2f}×" if value < 1.95 else f"{value:.1f}×"


def format_ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 1:
        return f"{value:.2f} ms"
    return f"{value * 1000:.0f} µs"
