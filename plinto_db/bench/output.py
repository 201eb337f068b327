"""Writing a bench's folder: results.json, the PNG charts, report.md."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plinto_db.bench.run import BenchResult
from plinto_db.errors import UserError


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


@contextlib.contextmanager
def out_folder(path: Path) -> Iterator[Path]:
    """--out made (parents included) before anything connects, so a path that cannot be a
    folder is one line with nothing changed; the folders made here are removed again when
    the run ends without writing into them (a refusal leaves nothing behind)."""
    created = make_out_folder(path)
    try:
        yield path
    finally:
        for folder in reversed(created):
            try:
                folder.rmdir()  # only an empty one: the run wrote nothing there
            except OSError:
                break


def make_out_folder(path: Path) -> list[Path]:
    """Create `path` and its missing parents; the folders created, outermost first."""
    try:
        chain = (path, *path.parents)
        blocked = next((p for p in chain if p.exists() and not p.is_dir()), None)
        if blocked is not None:
            what = "this" if blocked == path else str(blocked)
            raise UserError(f"--out {path}: {what} is a file, not a folder")
        missing = [p for p in chain if not p.exists()][::-1]
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {path}: cannot create this folder ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(f"--out {path}: cannot write in this folder (permission denied)")
    return missing
