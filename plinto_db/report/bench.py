"""Rendering `plinto-db bench` and `plinto-db demo` on a terminal: progress and the table.

Progress: a bar per phase through the queries, apply's own bars during a build, on a
terminal; one plain line per step when piped; nothing with --format json. The table reads
results.json's document, sorted by speedup.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

from plinto_db import report
from plinto_db.bench.events import BenchEvents
from plinto_db.bench.markdown import speedup_cell
from plinto_db.bench.model import Phase
from plinto_db.bench.stats import format_ms, format_ratio
from plinto_db.report.layout import Cell, Column, Table, print_table

VERDICT_STYLE = {
    "helped": "green",
    "replaced": "cyan",
    "same-index": "dim",
    "not-helped": "yellow",
    "failed": "bold red",
    "skipped": "dim",
    "not-measured": "dim",
}
INDENTED_ENTRY = re.compile(r" +\S+  +")  # `      2.4×  ` before a speedup's check name
NOTE_PREFIX = "plinto-db: "  # as report.note writes it


class NoteBenchEvents(BenchEvents):
    """Piped output: one line per step on stderr (or nothing at all when quiet)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def note(self, text: str) -> None:
        """`plinto-db: text` on stderr: on a terminal wrapped at whole words to its width
        (the continuation indented), in a pipe one line as it is."""
        if self.quiet:
            return
        console = report.stderr()
        if not console.is_terminal or len(f"{NOTE_PREFIX}{text}") <= console.width:
            report.note(text)
            return
        lines = report.wrap(text, console.width, first=NOTE_PREFIX, indent="  ")
        print("\n".join(lines), file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def build_events(self) -> Iterator[Any]:
        from plinto_db.report.progress import NoteEvents

        yield NoteEvents(quiet=True)  # one summary line per phase instead of two per index

    @contextlib.contextmanager
    def queries(self, phase: Phase, total: int) -> Iterator[Callable[[str], None]]:
        self.note(f"{phase.value}: timing {total} queries")
        yield lambda name: None


class BarBenchEvents(NoteBenchEvents):
    """A terminal: a progress bar through each phase's queries; apply's bars for builds."""

    @contextlib.contextmanager
    def build_events(self) -> Iterator[Any]:
        from plinto_db.report.progress import BarEvents

        with BarEvents() as events:
            yield events

    @contextlib.contextmanager
    def queries(self, phase: Phase, total: int) -> Iterator[Callable[[str], None]]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            TextColumn(f"{phase.value}", style="bold"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=report.stderr(),
            transient=True,
        )
        task = bar.add_task("", total=total)

        def tick(name: str) -> None:
            bar.update(task, advance=1, description=name)

        with bar:
            yield tick
        self.note(f"{phase.value}: timed {total} queries")


def events_for(fmt: report.OutputFormat) -> BenchEvents:
    if fmt == report.OutputFormat.json:
        return NoteBenchEvents(quiet=True)
    return BarBenchEvents() if report.interactive(fmt) else NoteBenchEvents()


# the speedup's [95 % interval]; `server`: read from the server's mean, not the client p50
QUERY_TITLE = "plinto-db bench: database level, p50 (speedup `server`: server mean)"
QUERY_COLUMNS = (
    Column("check", name=True),
    Column("before", justify="right", brief=True),
    Column("after", justify="right", brief=True),
    Column("speedup", justify="right", brief=True),
    Column("buffers", justify="right", brief=True),
    Column("verdict", brief=True),
    Column("why", wrap=True),
)


def render_table(doc: dict[str, Any], report_path: str | None) -> None:
    """The queries sorted by speedup, then writes, disk, pgbench, HTTP and where the report is."""
    table = Table(QUERY_COLUMNS, title=QUERY_TITLE)
    for q in doc["queries"]:
        before, after = q.get("before") or {}, q.get("after") or {}
        table.add(
            q["check"],
            format_ms(before.get("p50_ms")),
            format_ms(after.get("p50_ms")),
            speedup_cell(q, basis=True),
            f"{_count(before.get('buffers'))} → {_count(after.get('buffers'))}",
            Cell(q["verdict"], VERDICT_STYLE.get(q["verdict"], "")),
            q["reason"],
        )
    print_table(table)
    lines = summary_lines(doc) + ([f"report: {report_path}"] if report_path else [])
    _print_lines(lines)


def _print_lines(lines: list[str], *, wrap: bool = True) -> None:
    """On a terminal each line wrapped at whole words to its width; in a pipe, or after
    Markdown (which wrapping would break), as it is."""
    for line in lines:
        if wrap:
            report.line(line, _continuation(line))
        else:
            print(line)


def _continuation(line: str) -> str:
    """The indent of a wrapped line's continuation: under the text of an indented entry
    (`      2.4×  01_products: why` continues under 01_products), else two spaces more."""
    entry = INDENTED_ENTRY.match(line)
    return " " * (entry.end() if entry else len(line) - len(line.lstrip()) + 2)


def summary_lines(doc: dict[str, Any]) -> list[str]:
    """Plain lines after the table: phases, writes, disk, pgbench, HTTP."""
    lines = []
    for phase in doc["phases"]:
        extra = f": {phase['error']}" if phase.get("error") else ""
        lines.append(f"{phase['name']}: {phase['status']} ({phase['catalog']}){extra}")
    for w in doc["writes"]:
        b, a = w.get("before") or {}, w.get("after") or {}
        if "error" in b or "error" in a:
            lines.append(f"write {w['table']} {w['operation']}: {b.get('error') or a.get('error')}")
            continue
        lines.append(
            f"write {w['table']} {w['operation']}: {_rate(b)} → {_rate(a)} rows/s "
            f"({format_ratio(w['after_over_before'])})"
        )
    for skipped in doc.get("writes_not_measured") or []:
        lines.append(f"write {skipped['table']}: not measured ({skipped['reason']})")
    sizes = doc.get("catalog_size") or []
    if sizes:
        total = sum(s["bytes"] for s in sizes)
        lines.append(f"catalog on disk: {total / 2**20:,.1f} MB in {len(sizes)} tables")
    lines.extend(_pgbench_lines(doc.get("pgbench")))
    lines.extend(noise_lines(doc))
    lines.extend(http_lines(doc.get("http")))
    if not doc["catalog"].get("restored"):
        lines += not_restored_lines(doc["catalog"])
    return lines


def not_restored_lines(catalog: dict[str, Any]) -> list[str]:
    """The restore failed: why, and the statements that finish it."""
    lines = [f"catalog NOT restored as found: {catalog.get('restore_error')}"]
    finish = catalog.get("finish") or []
    if finish:
        lines.append("these statements finish the job (or `plinto-db apply`, `plinto-db drop`):")
        lines += [f"  {statement}" for statement in finish]
    return lines


def http_lines(http: dict | None) -> list[str]:
    """The HTTP level in plain lines (report/bench_http.py)."""
    if http is None:
        return []
    from plinto_db.report.bench_http import summary

    return summary(http)


def _pgbench_lines(bench: dict | None) -> list[str]:
    if bench is None:
        return []
    if bench.get("error"):
        return [f"pgbench: {bench['error']}"]
    lines = []
    for phase in ("before", "after"):
        for check, run in (bench.get(phase) or {}).items():
            if run.get("error"):
                lines.append(f"pgbench {phase} {check}: {run['error']}")
                continue
            lines.append(
                f"pgbench {phase} {check}: latency avg {format_ms(run['latency_ms'])}, "
                f"ours mean {format_ms(run['ours_mean_ms'])} "
                f"({format_ratio(run['ours_mean_over_pgbench'])} of pgbench, both means "
                "with the round trip)"
            )
    for item in bench.get("left_out") or []:
        lines.append(f"pgbench left out {item['check']}: {item['reason']}")
    return lines


def noise_lines(doc: dict[str, Any]) -> list[str]:
    """The same-plan control's verdict on the machine, when it has one to give."""
    noise = doc.get("noise")
    if not noise or not noise.get("controls"):
        return []
    return [f"noise: {noise['summary']}"]


def _rate(phase: dict) -> str:
    value = phase.get("ops_per_s")
    return "–" if value is None else f"{value:,.0f}"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def render_demo(result, fmt: report.OutputFormat) -> None:
    """The demo: its report folder written, the table, then the conclusion."""
    from plinto_db.bench.demo import conclusion
    from plinto_db.bench.output import write_outputs

    written = write_outputs(result.bench)
    summary = conclusion(written.document)
    if fmt == report.OutputFormat.json:
        document = {"demo": demo_document(result, summary), "results": written.document}
        if result.ending is not None:
            from plinto_db.bench.demo_advise import ending_document

            document["demo"]["ending"] = ending_document(result.ending)
        report.print_json(document)
        return
    markdown = fmt == report.OutputFormat.markdown
    if markdown:
        print(written.report.read_text())
    else:
        render_table(written.document, None)
    print_conclusion(result, summary, str(written.report), wrap=not markdown)
    if result.ending is not None:
        from plinto_db.bench.demo_advise import ending_lines

        _print_lines(ending_lines(result.ending), wrap=not markdown)


def print_conclusion(result, summary: dict[str, Any], report_path: str, *, wrap: bool) -> None:
    _print_lines(conclusion_lines(result, summary, report_path), wrap=wrap)


def demo_document(result, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "server": result.server,
        "data": result.data,
        "reused": result.reused,
        "check": result.check,
        "seconds": round(result.seconds, 1),
        "steps": {k: round(v, 1) for k, v in result.steps.items()},
        "conclusion": summary,
    }


def conclusion_lines(result, summary: dict[str, Any], report_path: str) -> list[str]:
    lines = ["", f"demo done in {result.seconds:.0f} s: {result.data}; check: {result.check}"]
    if summary["largest_speedups"]:
        lines.append("largest speedups (p50, database level):")
        lines += [
            f"  {format_ratio(q['speedup_p50']):>8}  {q['check']}: {q['reason']}"
            for q in summary["largest_speedups"]
        ]
    if summary["not_helped"]:
        names = ", ".join(q["check"] for q in summary["not_helped"])
        lines.append(f"not helped by the catalog ({len(summary['not_helped'])}): {names}")
    costs: dict[str, list[str]] = {}
    for w in summary["writes"]:
        if w["after_over_before"] is not None:
            ratio = format_ratio(w["after_over_before"])
            costs.setdefault(w["table"], []).append(f"{w['operation']} {ratio}")
    if costs:
        lines.append("write throughput with the catalog (after / before):")
        lines += [f"  {table}: {', '.join(ops)}" for table, ops in costs.items()]
    if summary["catalog_indexes"]:
        lines.append(
            f"the catalog on disk: {summary['catalog_bytes'] / 2**20:,.1f} MB in "
            f"{summary['catalog_indexes']} indexes (left built; `plinto-db drop` removes them)"
        )
    lines.append(f"report: {report_path}")
    return lines
