"""The demo's ending: the hand-written catalog and the one `advise` writes, side by side.

After the demo's bench (the hand-written catalog built): what doctor and check say about it
(redundant or duplicate indexes, indexes no passing check uses); then the catalog dropped,
`advise` over a copy of the same checks (--write, trial builds: the embedded server has no
HypoPG), bench's "after" phase with what it wrote (timed against the same "before"), check
and doctor on it; then the hand-written catalog built again, as the demo leaves it.
"""

from __future__ import annotations

import shutil
import statistics
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plinto_db.bench.events import BenchEvents

if TYPE_CHECKING:
    from plinto_db.advise.versus import CatalogFigures
    from plinto_db.bench.demo import DemoRequest
    from plinto_db.bench.run import BenchResult


@dataclass(frozen=True)
class CatalogSide:
    """One catalog's column of the ending."""

    label: str
    indexes: int
    bytes: int
    passed: int
    checks: int
    failed: tuple[str, ...]
    proven: int
    redundant: tuple[str, ...]  # doctor's redundant-index / duplicate-index findings
    median_speedup: float | None  # p50 before / p50 after, median over the checks
    speedups: dict[str, float] = field(default_factory=dict)
    writes: dict[str, float | None] = field(default_factory=dict)  # "table op" -> after/before
    wal: dict[str, float] = field(default_factory=dict)  # "table op" -> WAL bytes per row


@dataclass(frozen=True)
class DemoEnding:
    hand: CatalogSide
    advised: CatalogSide | None
    advised_dir: str | None = None
    error: str | None = None  # why the advised side is missing


def three_catalogs(
    dsn: str, request: DemoRequest, hand_bench: BenchResult, events: BenchEvents
) -> DemoEnding:
    """The ending, measured; the hand-written catalog is built again at the end."""
    from plinto_db.advise.versus import measure
    from plinto_db.catalog import load_catalog
    from plinto_db.resources import resolve_dir

    checks_dir, indexes_dir = resolve_dir("checks"), resolve_dir("indexes")
    hand_specs = load_catalog(indexes_dir)
    names = [s.name for s in hand_specs]
    figures = measure(dsn, "hand-written", checks_dir, indexes_dir, names)
    hand = replace(_side(figures, hand_bench, hand_bench), wal=_wal(dsn, hand_bench))
    events.note(
        f"doctor: {len(hand.redundant)} redundant or duplicate index(es) in the hand-written "
        f"catalog; check proves {hand.proven} of its {hand.indexes}"
    )
    try:
        advised, folder = _advised(dsn, request, hand_bench, names, events)
    except Exception as exc:  # the ending must never cost the demo its report
        events.note(f"advise: not measured ({type(exc).__name__}: {exc})")
        return DemoEnding(hand, None, error=str(exc))
    finally:
        _rebuild(dsn, indexes_dir, request.jobs, events)
    return DemoEnding(hand, advised, str(folder))


def _advised(
    dsn: str, request: DemoRequest, hand_bench: BenchResult, hand_names: list[str], events
) -> tuple[CatalogSide, Path]:
    from plinto_db.advise.run import AdviseRequest, run_advise
    from plinto_db.advise.versus import measure
    from plinto_db.bench.model import FinalState, Phase
    from plinto_db.bench.run import run_bench
    from plinto_db.resources import resolve_dir

    folder = request.out_dir / "advised"
    checks, indexes, names_dir = folder / "checks", folder / "indexes", folder / "all-indexes"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(resolve_dir("checks"), checks)
    _drop(dsn, hand_names)
    events.note("advise: the catalog dropped; advising over the same checks (trial builds)")
    run = run_advise(
        AdviseRequest(
            dsn,
            checks,
            resolve_dir("indexes"),
            write=indexes / "50_advised.sql",
            trial_builds=True,
            allow_activity=True,  # the demo's own server: nobody else writes there
        )
    )
    events.note(
        f"advise: {len(run.proposals)} index(es) written to advised/indexes/50_advised.sql "
        "in the report folder"
    )
    bench = run_bench(
        replace(
            hand_bench.request,
            checks_dir=checks,
            indexes_dir=indexes,
            out_dir=folder,
            phases=(Phase.AFTER,),
            pgbench_seconds=0,
            final=FinalState.CATALOG,
            after_build=None,
        ),
        events,
    )
    shutil.copytree(resolve_dir("indexes"), names_dir)
    shutil.copy(indexes / "50_advised.sql", names_dir)
    advised_names = [p.name for p in run.proposals]
    figures = measure(dsn, "advised", checks, names_dir, advised_names)
    wal = _wal(dsn, hand_bench)
    _drop(dsn, advised_names)
    return replace(_side(figures, hand_bench, bench), wal=wal), folder


def _wal(dsn: str, bench: BenchResult) -> dict[str, float]:
    """WAL bytes per row of bench's write batches: steady where the throughput is noisy."""
    from plinto_db.advise.versus import WRITE_TARGETS, wal_per_row
    from plinto_db.bench.writes import WriteOptions
    from plinto_db.pg.connect import connection

    rows = bench.request.writes.rows if bench.request.writes else WriteOptions().rows
    options = WriteOptions(targets=WRITE_TARGETS, rows=rows)  # the same columns for both
    try:
        with connection(dsn, application_name="plinto-db demo") as conn:
            return wal_per_row(conn, options)
    except Exception:  # a table the write cost cannot use: the row is left out
        return {}


def _side(figures: CatalogFigures, before: BenchResult, after: BenchResult) -> CatalogSide:
    """The figures, with speedups (after's p50 against before's "before") and write ratios."""
    base = {q.check: q.before.timing.p50_ms for q in before.queries if _timed(q.before)}
    speedups = {
        q.check: base[q.check] / q.after.timing.p50_ms
        for q in after.queries
        if q.check in base and _timed(q.after) and q.after.timing.p50_ms > 0
    }
    before_writes = {(w.table, w.operation): w.before for w in before.writes}
    writes: dict[str, float | None] = {}
    for row in after.writes:
        was = before_writes.get((row.table, row.operation))
        if was and was.figure and row.after and row.after.figure and was.figure.ops_per_s > 0:
            ratio: float | None = row.after.figure.ops_per_s / was.figure.ops_per_s
        else:
            ratio = None
        writes[f"{row.table} {row.operation}"] = ratio
    size = sum(s.bytes for s in after.sizes) or figures.bytes
    return CatalogSide(
        label=figures.label,
        indexes=figures.indexes,
        bytes=size,
        passed=figures.passed,
        checks=figures.checks,
        failed=figures.failed,
        proven=figures.proven,
        redundant=figures.redundant,
        median_speedup=statistics.median(speedups.values()) if speedups else None,
        speedups=speedups,
        writes=writes,
    )


def _timed(phase: Any) -> bool:
    return phase is not None and phase.timing is not None and phase.timing.p50_ms > 0


def _drop(dsn: str, names: list[str]) -> None:
    """DROP INDEX CONCURRENTLY each one that exists (the demo's own embedded database)."""
    import psycopg
    from psycopg import sql

    from plinto_db.pg.connect import connection

    with connection(dsn, application_name="plinto-db demo") as conn:
        for name in names:
            try:
                conn.execute(
                    sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(name))
                )
            except psycopg.Error:
                continue


def _rebuild(dsn: str, indexes_dir: Path, jobs: int, events: BenchEvents) -> None:
    """The hand-written catalog built again through apply: the demo leaves it built."""
    from plinto_db.apply.run import ApplyRequest, run_apply

    result = run_apply(ApplyRequest(indexes=indexes_dir, jobs=jobs), lambda: dsn)
    state = "converged" if result.converged else f"not converged: {', '.join(result.remaining)}"
    events.note(f"apply: the hand-written catalog built again ({state}, {result.seconds:.0f} s)")


def ending_lines(ending: DemoEnding) -> list[str]:
    """The three side by side, as the demo's last lines."""
    hand, advised = ending.hand, ending.advised
    lines = ["", "the hand-written catalog and the one `plinto-db advise` writes:"]
    rows = [("", "hand-written", "advised")]
    sides = [hand, advised] if advised else [hand]
    rows.append(("indexes", *(str(s.indexes) for s in sides)))
    rows.append(("on disk", *(f"{s.bytes / 2**20:,.1f} MB" for s in sides)))
    rows.append(("checks passing", *(f"{s.passed}/{s.checks}" for s in sides)))
    rows.append(("median speedup (p50)", *(_ratio(s.median_speedup) for s in sides)))
    for key in hand.writes:
        values = [_ratio(s.writes.get(key)) for s in sides]
        rows.append((f"{key} throughput", *values))
    for key in hand.wal:
        rows.append((f"{key} WAL/row", *(_bytes(s.wal.get(key)) for s in sides)))
    rows.append(("doctor: redundant/duplicate", *(str(len(s.redundant)) for s in sides)))
    rows.append(("indexes no check uses", *(str(s.indexes - s.proven) for s in sides)))
    width = max(len(r[0]) for r in rows)
    lines += [f"  {r[0]:<{width}}  " + "  ".join(f"{v:>12}" for v in r[1:]) for r in rows]
    for side in sides:
        if side.failed:
            lines.append(f"  failing with the {side.label} catalog: {', '.join(side.failed)}")
    if advised and ending.advised_dir:
        lines.append("  the advised catalog and checks: advised/ in the report folder")
    if ending.error:
        lines.append(f"  advise: not measured ({ending.error})")
    return lines


def _bytes(value: float | None) -> str:
    return f"{value:,.0f} B" if value is not None else "-"


def _ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "-"


def ending_document(ending: DemoEnding) -> dict[str, Any]:
    def side(s: CatalogSide | None) -> dict[str, Any] | None:
        if s is None:
            return None
        return {
            "indexes": s.indexes,
            "bytes": s.bytes,
            "passed": s.passed,
            "checks": s.checks,
            "failed": list(s.failed),
            "proven": s.proven,
            "redundant_or_duplicate": list(s.redundant),
            "median_speedup_p50": s.median_speedup,
            "writes_after_over_before": s.writes,
            "wal_bytes_per_row": s.wal,
        }

    return {
        "hand_written": side(ending.hand),
        "advised": side(ending.advised),
        "advised_dir": ending.advised_dir,
        "error": ending.error,
    }
