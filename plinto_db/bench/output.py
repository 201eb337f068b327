"""Writing a bench's folder: results.json, the PNG charts, report.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plinto_db.bench.run import BenchResult


@dataclass(frozen=True)
class Written:
    document: dict[str, Any]
    results: Path
    report: Path
    charts: tuple[str, ...]
    chart_error: str | None = None


def write_outputs(result: BenchResult) -> Written:
    from plinto_db.bench.document import results_document, write_results
    from plinto_db.bench.markdown import render

    out_dir = result.request.out_dir
    document = results_document(result)
    results = write_results(document, out_dir)
    charts: list[str] = []
    chart_error = None
    try:
        from plinto_db.bench.charts import write_charts

        charts = write_charts(document, out_dir)
    except ImportError as exc:  # matplotlib is a dependency; a broken install still reports
        chart_error = f"no charts: {exc}"
    report = out_dir / "report.md"
    report.write_text(render(document, charts))
    return Written(document, results, report, tuple(charts), chart_error)


def default_out_dir(now: str) -> Path:
    return Path("plinto-bench") / now
