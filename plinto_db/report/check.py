"""Rendering a `check` run: rich table, JSON, Markdown, JUnit XML, GitHub annotations."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plinto_db.check.judge import Verdict
from plinto_db.check.results import CheckResult, CheckRun, CoverageState, IndexCoverage
from plinto_db.report import print_json, stderr, stdout, wrap
from plinto_db.report.units import size_text

VERDICT_STYLE = {Verdict.PASS: "green", Verdict.FAIL: "bold red", Verdict.ERROR: "bold yellow"}
PLAN_LINES = 12


def _rows(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _analyze_text(result: CheckResult) -> str:
    figures = result.analyze or {}
    if not figures:
        return ""
    parts = []
    if figures.get("execution_ms") is not None:
        parts.append(f"{figures['execution_ms']:.3f} ms")
    if figures.get("shared_hit") is not None or figures.get("shared_read") is not None:
        hit, read = figures.get("shared_hit") or 0, figures.get("shared_read") or 0
        parts.append(f"buffers hit={hit:g} read={read:g}")
    return ", ".join(parts)


def print_table(run: CheckRun) -> None:
    from rich.text import Text

    from plinto_db.report.layout import Cell, Column, Table
    from plinto_db.report.layout import print_table as print_layout

    columns = [
        Column("query", name=True),
        Column("verdict", brief=True),
        Column("mode", brief=True),
        Column("indexes used", wrap=True),
        Column("est. rows", justify="right", brief=True),
        Column("expected", wrap=True, secondary=True),
        Column("scan", wrap=True, secondary=True),
    ]
    if run.analyze:
        columns.append(Column("actual", wrap=True))
    table = Table(tuple(columns), title=f"plinto-db check: {run.server}, mode {run.mode.value}")
    for result in run.results:
        row = [
            result.check.name,
            Cell(result.verdict.value, VERDICT_STYLE[result.verdict]),
            result.mode.value,
            ", ".join(result.shown_used) or "-",
            _rows(result.estimated_rows),
            result.check.describe_expected(),
            "\n".join(result.scans) or "-",
        ]
        if run.analyze:
            row.append(_analyze_text(result))
        table.add(*row)
    print_layout(table)
    console = stdout()
    for result in run.failed:
        console.print(
            Text(f"{result.verdict.value.upper()} {result.location} {result.check.name}: ").append(
                result.message, style="red"
            ),
            highlight=False,
            soft_wrap=not console.is_terminal,
        )
        if result.plan_text:
            console.print(
                Text("  chosen plan:\n" + _indent(result.plan_text, 4)),
                highlight=False,
                soft_wrap=not console.is_terminal,
            )
    for note in run.notes:
        console.print(Text(f"note: {note}"), highlight=False, soft_wrap=not console.is_terminal)
    for line in _hanging(conclusion(run), console.width if console.is_terminal else None):
        console.print(Text(line), highlight=False, soft_wrap=True)


def _hanging(text: str, width: int | None) -> list[str]:
    """Each line of `text` wrapped at whole words to `width` (None: as it is), its
    continuation lines indented two more than the line itself, so that a wrapped note stays
    under its own item."""
    if width is None:
        return text.splitlines()
    lines = []
    for line in text.splitlines():
        lead = line[: len(line) - len(line.lstrip())]
        lines += wrap(line.lstrip(), width, first=lead, indent=lead + "  ") or [line]
    return lines


def conclusion(run: CheckRun) -> str:
    """Passed and failed (by mode), then the catalog indexes no check proves."""
    passed = len(run.results) - len(run.failed)
    text = f"{passed} passed, {len(run.failed)} failed of {len(run.results)} ({run.modes_text()})"
    if run.coverage:
        unproven = run.unproven
        proven = len(run.coverage) - len(unproven)
        text += f"; coverage: {proven} of {len(run.coverage)} catalog indexes proven"
        for item in unproven:
            size = f", {size_text(item.size_bytes)}" if item.size_bytes is not None else ""
            text += f"\n  unproven {item.shown_index} ({item.shown_table}{size}): {item.reason}"
        wasted = sum(item.size_bytes or 0 for item in unproven)
        if wasted:
            text += f"\n  {size_text(wasted)} of unproven indexes"
    return text


@contextmanager
def progress(fmt: Any) -> Iterator[Callable[[str, int], None] | None]:
    """A bar on stderr, only on a terminal, never with JSON. Yields tick(name, total).

    The bar starts with the first explained check, so the lines said before it (which
    server is used) come first, and it leaves the screen when the run ends.
    """
    from plinto_db.report import interactive

    if not interactive(fmt):
        yield None
        return
    from rich.progress import Progress

    bar = Progress(console=stderr(), transient=True)
    task: list[Any] = []

    def tick(name: str, total: int) -> None:
        if not task:
            bar.start()
            task.append(bar.add_task("explaining", total=total))
        bar.update(task[0], total=total, advance=1, description=name)

    try:
        yield tick
    finally:
        bar.stop()


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line for line in text.splitlines())


def result_document(result: CheckResult) -> dict[str, Any]:
    check = result.check
    return {
        "check": check.name,
        "file": str(check.file),
        "line": result.line,
        "expected": [
            {
                "kind": e.kind.value,
                "targets": list(e.targets),
                "names": [[schema or None, name] for schema, name in e.names],
                "line": e.line,
            }
            for e in check.expectations
        ],
        "used": list(result.used),
        "scans": list(result.scans),
        "estimated_rows": result.estimated_rows,
        "verdict": result.verdict.value,
        "mode": result.mode.value,
        "reasons": list(result.reasons),
        "notes": list(result.notes),
        "analyze": dict(result.analyze) if result.analyze else None,
        "plan": result.plan,
    }


def coverage_document(item: IndexCoverage) -> dict[str, Any]:
    return {
        "index": item.name,
        "schema": item.schema,
        "table": item.shown_table,
        "table_name": item.table,
        "state": item.state.value,
        "reason": item.reason,
        "proven_by": list(item.proven_by),
        "file": item.file,
        "line": item.line,
        "size_bytes": item.size_bytes,
    }


def run_document(run: CheckRun) -> dict[str, Any]:
    return {
        "server": run.server,
        "mode": run.mode.value,
        "analyze": run.analyze,
        "checks_dir": run.checks_dir,
        "indexes_dir": run.indexes_dir,
        "summary": {
            "checks": len(run.results),
            "passed": len(run.results) - len(run.failed),
            "failed": sum(1 for r in run.results if r.verdict is Verdict.FAIL),
            "errors": sum(1 for r in run.results if r.verdict is Verdict.ERROR),
            "indexes": len(run.coverage),
            "unproven": len(run.unproven),
            "modes": run.modes,
            "forced_for_tiny_tables": run.switched_to_forced,
        },
        "results": [result_document(r) for r in run.results],
        "coverage": [coverage_document(c) for c in run.coverage],
        "notes": list(run.notes),
    }


def print_json_report(run: CheckRun) -> None:
    print_json(run_document(run))


def print_markdown(run: CheckRun) -> None:
    from plinto_db.report import markdown_row

    lines = [
        f"### plinto-db check ({run.server}, mode {run.mode.value})",
        "",
        "| query | expected | indexes used | est. rows | verdict | mode |",
        "|---|---|---|---:|---|---|",
    ]
    for r in run.results:
        used = ", ".join(r.shown_used) or "-"
        cells = (r.check.name, r.check.describe_expected(), used, _rows(r.estimated_rows))
        lines.append(markdown_row((*cells, r.verdict.value, r.mode.value)))
    for r in run.failed:
        lines += ["", f"**{r.check.name}** ({r.location}): {r.message}", "", "```"]
        lines += [r.plan_text or "(no plan)", "```"]
    if run.unproven:
        lines += ["", "Unproven catalog indexes:", ""]
        lines += [f"- `{c.shown_index}` ({c.shown_table}): {c.reason}" for c in run.unproven]
    passed = len(run.results) - len(run.failed)
    lines += ["", f"{passed} passed, {len(run.failed)} failed of {len(run.results)} "]
    lines[-1] += f"({run.modes_text()})"
    sys.stdout.write("\n".join(lines) + "\n")


def junit_xml(run: CheckRun) -> str:
    from xml.etree import ElementTree as ET

    suite = ET.Element(
        "testsuite",
        name="plinto-db check",
        tests=str(len(run.results)),
        failures=str(sum(1 for r in run.results if r.verdict is Verdict.FAIL)),
        errors=str(sum(1 for r in run.results if r.verdict is Verdict.ERROR)),
        skipped="0",
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="mode", value=run.mode.value)
    ET.SubElement(props, "property", name="server", value=run.server)
    ET.SubElement(props, "property", name="modes", value=run.modes_text())
    for result in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"checks.{result.mode.value}",
            name=result.check.name,
            file=str(result.check.file),
            line=str(result.line),
        )
        body = result.plan_text or ""
        if result.verdict is Verdict.FAIL:
            element = ET.SubElement(case, "failure", message=result.message, type="plan")
            element.text = "chosen plan:\n" + body
        elif result.verdict is Verdict.ERROR:
            element = ET.SubElement(case, "error", message=result.message, type="error")
            element.text = result.message
        out = ET.SubElement(case, "system-out")
        used = ", ".join(result.shown_used)
        out.text = f"expected: {result.check.describe_expected()}\nused: {used}"
    root = ET.Element("testsuites", name="plinto-db", tests=suite.get("tests", "0"))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def write_junit(run: CheckRun, path: Path) -> None:
    from plinto_db.errors import UserError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(junit_xml(run) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot write the JUnit report: {exc.strerror}") from None


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _relative(path: str) -> str:
    """Annotations need repository-relative paths: relative to GITHUB_WORKSPACE, else CWD."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return path


def annotations(run: CheckRun) -> list[str]:
    """GitHub workflow commands (`::error file=...,line=...::message`) for each failure."""
    lines = []
    for result in run.failed:
        check = result.check
        title = f"plinto-db check {check.name} ({result.mode.value})"
        message = result.message + ("\n" + result.plan_text if result.plan_text else "")
        lines.append(
            f"::error file={_escape_property(_relative(str(check.file)))},line={result.line},"
            f"title={_escape_property(title)}::{_escape_data(message)}"
        )
    for item in run.unproven:
        if item.state is CoverageState.UNPROVEN:
            lines.append(
                f"::warning file={_escape_property(_relative(item.file))},line={item.line},"
                f"title={_escape_property('unproven index ' + item.shown_index)}::"
                f"{_escape_data(item.reason)}"
            )
    return lines


def github_annotations(run: CheckRun) -> None:
    """On GitHub Actions, annotate the check files (on stderr, so stdout stays clean JSON)."""
    if os.environ.get("GITHUB_ACTIONS", "").lower() != "true":
        return
    for line in annotations(run):
        print(line, file=sys.stderr)
