"""Rendering `status` (where each catalog index stands) and `history` (what apply did)."""

from __future__ import annotations

import sys
from typing import Any

from plinto_db import report
from plinto_db.report.layout import Cell, Column, Table, print_table
from plinto_db.report.units import size_text

STATE_STYLE = {
    "valid": "green",
    "missing": "yellow",
    "invalid": "bold red",
    "building": "cyan",
    "drifted": "bold magenta",
    "unverified": "yellow",
    "leftover": "red",
    "not-in-catalog": "dim",
}
STATUS_COLUMNS = (
    Column("name", name=True),
    Column("table", name=True),
    Column("state", brief=True),
    Column("size", justify="right", brief=True),
    Column("scans", justify="right", brief=True),
    Column("detail", wrap=True),
)
HISTORY_COLUMNS = (
    Column("at", brief=True),
    Column("index", name=True),
    Column("table", name=True),
    Column("action", brief=True),
    Column("outcome", brief=True),
    Column("seconds", justify="right", brief=True),
    Column("versions"),
    Column("detail", wrap=True),
)


def render_status(rows: list[dict[str, Any]], fmt: report.OutputFormat, server: str) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json({"command": "status", "server_version": server, "indexes": rows})
        return
    if fmt == report.OutputFormat.markdown:
        _markdown(
            ("name", "table", "state", "size", "scans", "detail"),
            [
                (
                    r["name"],
                    r["table"],
                    state_text(r),
                    size_text(r["size_bytes"]),
                    "" if r["scans"] is None else r["scans"],
                    r.get("detail") or "",
                )  # fmt: skip
                for r in rows
            ],
        )
    else:
        table = Table(STATUS_COLUMNS, title=f"plinto-db status (PostgreSQL {server})")
        for r in rows:
            table.add(
                Cell(r["name"], "" if r["managed"] else "dim"),
                r["table"],
                Cell(state_text(r), STATE_STYLE.get(r["state"], "")),
                size_text(r["size_bytes"]),
                "" if r["scans"] is None else str(r["scans"]),
                r.get("detail") or "",
            )
        print_table(table)
    _line(status_conclusion(rows))


def state_text(row: dict[str, Any]) -> str:
    """`building: 31 of 55 partitions` for a partitioned index on its way."""
    parts = row.get("partitions")
    if row["state"] == "building" and parts and parts["attached"] < parts["total"]:
        return f"building: {parts['attached']} of {parts['total']} partitions"
    return row["state"]


def status_conclusion(rows: list[dict[str, Any]]) -> str:
    """Counts by state and the total size of the catalog's indexes."""
    managed = [r for r in rows if r["managed"]]
    counts: dict[str, int] = {}
    for r in managed:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    states = ", ".join(f"{n} {state}" for state, n in counts.items()) or "none"
    size = sum(r["size_bytes"] or 0 for r in managed)
    text = f"{len(managed)} catalog index(es): {states}; {size_text(size)} on disk"
    others = [r for r in rows if not r["managed"]]
    if others:
        leftovers = sum(1 for r in others if r["state"] == "leftover")
        text += f"; {len(others)} other index(es) on these tables"
        if leftovers:
            text += f" ({leftovers} leftover(s) apply drops)"
    return text


def render_history(entries, fmt: report.OutputFormat, limit: int | None = None) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json({"command": "history", "entries": [e.as_dict() for e in entries]})
        return
    if not entries:
        _line("no apply has been recorded in this database")
        return
    values = [
        (
            e.at.strftime("%Y-%m-%d %H:%M:%S%z"),
            e.index_name,
            e.table_name,
            e.action,
            e.outcome,
            f"{e.seconds:.2f}",
            f"pg {e.server_version}, plinto-db {e.tool_version}",
            e.detail or "",
        )
        for e in entries
    ]
    if fmt == report.OutputFormat.markdown:
        _markdown(tuple(c.header for c in HISTORY_COLUMNS), values)
        return
    table = Table(HISTORY_COLUMNS, title="plinto-db history (newest first)")
    for row in values:
        table.add(*row)
    print_table(table)
    runs = len({e.run_id for e in entries})
    failed = sum(1 for e in entries if e.outcome not in ("done", "skipped"))
    text = f"{len(entries)} entries from {runs} run(s); {failed} not done"
    if limit is not None and len(entries) >= limit:
        text += f" (the newest {limit}: --limit N shows more)"
    _line(text)


def _markdown(headers: tuple[str, ...], rows: list[tuple]) -> None:
    _raw(report.markdown_row(headers))
    _raw("|" + "---|" * len(headers))
    for row in rows:
        _raw(report.markdown_row(row))


def _line(text: str) -> None:
    report.line(text)


def _raw(text: str) -> None:
    """Markdown goes out as it is: wrapping would break its tables."""
    sys.stdout.write(text + "\n")
