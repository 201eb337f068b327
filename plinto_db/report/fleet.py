"""Rendering a fleet run: a row per target and the totals (table, Markdown), the JSON
document (each target's own command JSON inside), and the live lines of apply's events."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from plinto_db import report
from plinto_db.report.layout import Cell, Column, Table, print_table
from plinto_db.report.progress import NoteEvents

STANDING_STYLE = {
    "ok": "green",
    "failed": "bold red",
    "error": "bold red",
    "drift": "bold magenta",
    "blocked": "bold yellow",
    "interrupted": "bold red",
    "skipped": "dim",
    "not started": "yellow",
}
COLUMNS = (
    Column("target", name=True),
    Column("server", brief=True),
    Column("result", brief=True),
    Column("exit", justify="right", brief=True),
    Column("seconds", justify="right", brief=True),
    Column("detail", wrap=True),
)


class TargetEvents(NoteEvents):
    """apply's and drop's event lines, said through one target's sink."""

    def __init__(self, say: Callable[[str], None]):
        super().__init__()
        self._target_say = say

    def _say(self, text: str) -> None:
        self._target_say(text)


def fleet_document(fleet) -> dict[str, Any]:
    return {
        "command": fleet.command,
        "targets": [_target_document(run) for run in fleet.runs],
        "summary": summary_document(fleet),
    }


def _target_document(run) -> dict[str, Any]:
    return {
        "name": run.name,
        "role": run.role,
        "canary": run.canary,
        "state": str(run.standing),
        "exit_code": run.exit_code,
        "error": run.error,
        "server_version": run.server or None,
        "seconds": round(run.seconds, 3),
        "detail": run.detail or None,
        "result": run.document,
        "check": _check_document(run.check) if run.check is not None else None,
    }


def _check_document(check) -> dict[str, Any]:
    return {"exit_code": check.exit_code, "error": check.error, "result": check.document}


def summary_document(fleet) -> dict[str, Any]:
    from plinto_db.fleet.model import Standing

    counts = {str(s).replace(" ", "_"): fleet.count(s) for s in Standing}
    return {
        "targets": len(fleet.runs),
        **counts,
        "not_touched": [r.name for r in fleet.runs if r.standing is Standing.NOT_STARTED],
        "stopped": fleet.stopped,
        "exit_code": fleet.exit_code,
        "seconds": round(fleet.seconds, 3),
    }


def totals_line(fleet) -> str:
    from plinto_db.fleet.model import Standing

    counts = ", ".join(f"{fleet.count(s)} {s}" for s in Standing if fleet.count(s))
    return f"{len(fleet.runs)} target(s): {counts}; exit {fleet.exit_code} in {fleet.seconds:.1f}s"


def _rows(fleet) -> list[tuple[str, ...]]:
    return [
        (
            r.name
            + (" (canary)" if r.canary else "")
            + (" (replica)" if r.role == "replica" else ""),
            r.server,
            str(r.standing),
            "" if r.exit_code is None else str(r.exit_code),
            f"{r.seconds:.2f}" if r.exit_code is not None and r.standing != "skipped" else "",
            r.error or r.detail,
        )
        for r in fleet.runs
    ]


def render_fleet(fleet, fmt: report.OutputFormat) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json(fleet_document(fleet))
        return
    if fmt == report.OutputFormat.markdown:
        _raw(f"### plinto-db {fleet.command} on {len(fleet.runs)} target(s)")
        _raw("")
        _raw(report.markdown_row(c.header for c in COLUMNS))
        _raw("|---|---|---|---:|---:|---|")
        for row in _rows(fleet):
            _raw(report.markdown_row(row))
        _raw("")
        _raw(totals_line(fleet))
        return
    table = Table(COLUMNS, title=f"plinto-db {fleet.command} on {len(fleet.runs)} target(s)")
    for row in _rows(fleet):
        table.add(*row[:2], Cell(row[2], STANDING_STYLE.get(row[2], "")), *row[3:])
    print_table(table)
    report.line(totals_line(fleet))


def _raw(text: str) -> None:
    """Markdown goes out as it is: wrapping would break its tables."""
    sys.stdout.write(text + "\n")
