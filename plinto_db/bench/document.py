"""results.json: the bench as one plain document (what the report, charts and --format json read).

Shape (docs/bench.md documents every field):
    {"tool", "version", "started_at", "seconds", "exit_code", "server", "machine", "rows",
     "options", "catalog", "phases", "queries", "writes", "writes_not_measured",
     "catalog_size", "http", "pgbench", "notes"}
A phase entry without numbers has {"error": ...} and nothing else; a speedup is present only
when both phases measured the query.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from plinto_db import __version__
from plinto_db.bench.model import PhaseOutcome, QueryPhase, QueryRow, WritePhase, WriteRow
from plinto_db.bench.run import BenchResult
from plinto_db.bench.stats import noise, sort_key

SCHEMA_VERSION = 2  # 2: tables named as the server resolves them (public.sessions)


def results_document(result: BenchResult) -> dict[str, Any]:
    request = result.request
    timing = request.timing
    return {
        "tool": "plinto-db bench",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "started_at": result.started_at,
        "seconds": round(result.seconds, 3),
        "exit_code": int(result.exit_code),
        "server": result.server,
        "machine": result.machine,
        "rows": result.rows,
        "options": {
            "phases": [p.value for p in request.phases],
            "only": list(request.only),
            "iterations": timing.iterations,
            "warmup": timing.warmup,
            "max_seconds_per_query": timing.max_seconds,
            "statement_timeout_ms": timing.statement_timeout_ms,
            "percentiles": "nearest-rank over the timed executions",
            "write_rows": request.writes.rows if request.writes else None,
            "write_rounds": request.writes.rounds if request.writes else None,
            "pgbench_seconds": request.pgbench_seconds,
            "jobs": request.jobs,
            "checks_dir": str(request.checks_dir),
            "indexes_dir": str(request.indexes_dir),
        },
        "catalog": result.catalog,
        "phases": [_phase(p) for p in result.phases],
        "queries": [_query(row) for row in sorted(result.queries, key=sort_key)],
        "writes": [_write(row) for row in result.writes],
        "writes_not_measured": [
            {"table": name, "reason": why} for name, why in result.writes_not_measured.items()
        ],
        "catalog_size": [asdict(size) for size in result.sizes],
        "http": _http(result.phases, request.http),
        "pgbench": result.pgbench,
        "noise": noise_document(result.queries),
        "notes": list(result.notes),
    }


def noise_document(rows: tuple[QueryRow, ...]) -> dict[str, Any]:
    """The same-plan control: how many rows, which strayed from 1x, and the sentence."""
    found = noise(rows)
    return {
        "controls": found.controls,
        "noisy": found.noisy,
        "factor": round(found.factor, 2),
        "strayed": [{"check": c, "speedup_p50": round(s, 2)} for c, s in found.strayed],
        "summary": found.sentence(),
    }


def write_results(document: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def _phase(outcome: PhaseOutcome) -> dict[str, Any]:
    return {
        "name": outcome.phase.value,
        "status": outcome.status.value,
        "seconds": round(outcome.seconds, 3),
        "catalog": outcome.catalog_action,
        "error": outcome.error,
        "http_error": outcome.http_error,
    }


def _figures(phase: QueryPhase | None) -> dict[str, Any] | None:
    if phase is None:
        return None
    if not phase.measured:
        return {"error": phase.error, "skipped": phase.skipped}
    timing = phase.timing
    assert timing is not None
    return {
        "p50_ms": _r(timing.p50_ms),
        "p95_ms": _r(timing.p95_ms),
        "p99_ms": _r(timing.p99_ms),
        "max_ms": _r(timing.max_ms),
        "mean_ms": _r(timing.mean_ms),
        "qps": round(timing.qps, 1),
        "iterations": timing.iterations,
        "warmup": timing.warmup,
        "budget_hit": timing.budget_hit,
        "p50_interval_ms": _pair(timing.p50_low_ms, timing.p50_high_ms),
        "server": _server(phase),
        "buffers": phase.buffers,
        "shared_hit": phase.shared_hit,
        "shared_read": phase.shared_read,
        "index": ", ".join(phase.indexes) or None,
        "indexes": list(phase.indexes),
        "plan": phase.plan,
        "execution_ms": phase.execution_ms,
        "plan_cache": phase.plan_cache,
        "rolled_back": phase.rolled_back,
        "notes": list(phase.notes),
    }


def _query(row: QueryRow) -> dict[str, Any]:
    return {
        "check": row.check,
        "description": row.description,
        "before": _figures(row.before),
        "after": _figures(row.after),
        "speedup_p50": round(row.speedup_p50, 2) if row.speedup_p50 is not None else None,
        "buffers_ratio": round(row.buffers_ratio, 2) if row.buffers_ratio is not None else None,
        "speedup_p50_interval": _pair(row.speedup_low, row.speedup_high, 2),
        "server_speedup": _r(row.server_speedup, 2),
        "server_speedup_interval": _pair(row.server_low, row.server_high, 2),
        "decided_on": row.decided_on,
        "speedup": _r(row.speedup, 2),
        "same_plan": row.same_plan,
        "verdict": row.verdict.value,
        "reason": row.reason,
    }


def _server(phase: QueryPhase) -> dict[str, Any] | None:
    if phase.server is None:
        return None
    return {
        "mean_ms": _r(phase.server.mean_ms),
        "stddev_ms": _r(phase.server.stddev_ms),
        "calls": phase.server.calls,
        "source": phase.server.source,
    }


def _pair(low: float | None, high: float | None, digits: int = 4) -> list[float] | None:
    if low is None or high is None:
        return None
    return [round(low, digits), round(high, digits)]


def _write_phase(phase: WritePhase | None) -> dict[str, Any] | None:
    if phase is None:
        return None
    if phase.figure is None:
        return {"error": phase.error}
    return {
        "ops_per_s": round(phase.figure.ops_per_s, 1),
        "rows": phase.figure.rows,
        "rounds": phase.figure.rounds,
        "batch_seconds": _r(phase.figure.seconds),
    }


def _write(row: WriteRow) -> dict[str, Any]:
    ratio = row.after_over_before
    return {
        "table": row.table,
        "operation": row.operation,
        "statement": row.statement,
        "before": _write_phase(row.before),
        "after": _write_phase(row.after),
        "after_over_before": round(ratio, 3) if ratio is not None else None,
    }


def _http(phases: tuple[PhaseOutcome, ...], load: Any) -> dict[str, Any] | None:
    """Both phases' HTTP runs side by side (bench/http_document.py)."""
    if load is None:
        return None
    from plinto_db.bench.http_document import http_section

    per_phase = {p.phase.value: p for p in phases}
    runs = {name: outcome.http for name, outcome in per_phase.items()}
    errors = {
        name: outcome.http_error or outcome.error
        for name, outcome in per_phase.items()
        if outcome.http is None
    }
    return http_section(runs, errors, _plain(load))


def _plain(value: Any) -> Any:
    try:
        return asdict(value)
    except TypeError:
        return value


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
