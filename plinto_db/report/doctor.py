"""Rendering a doctor report: text (rich on a terminal, plain when piped), JSON, SARIF 2.1.0."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from plinto_db import __version__
from plinto_db.doctor.model import Check, Finding, IndexFact, Severity, human_bytes
from plinto_db.doctor.run import DoctorReport
from plinto_db.report import wrap
from plinto_db.report.layout import Column, Table, print_table
from plinto_db.report.sarif import SarifResult, SarifRule, sarif_log

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def catalog_location(report: DoctorReport, index: IndexFact | None) -> tuple[str, int] | None:
    """file:line of the catalog statement that creates `index`, when the catalog has it."""
    if index is None:
        return None
    exact = report.locations.get((index.schema, index.name))
    if exact:
        return exact
    return report.locations.get(("", index.name))


def summary_line(report: DoctorReport) -> str:
    counts = Counter(f.severity for f in report.findings)
    judged = sum(1 for o in report.outcomes if o.judged)
    parts = ", ".join(_plural(counts[s], s.value) for s in Severity)
    skipped = len(report.outcomes) - judged
    return (
        f"doctor: {parts} from {judged} checks"
        + (f" ({skipped} skipped)" if skipped else "")
        + f"; {_plural(len(report.drops.candidates), 'drop candidate')}, "
        f"{human_bytes(report.drops.reclaimable)} reclaimable"
    )


def print_text(report: DoctorReport) -> None:
    from rich.text import Text

    console = _console()
    console.print(
        Text(f"plinto-db doctor: {report.server}, {report.target}", style="bold"), highlight=False
    )
    for severity in Severity:
        found = [f for f in report.findings if f.severity is severity]
        if not found:
            continue
        console.print(Text(f"\n{severity.value.upper()} ({len(found)})", style=STYLE[severity]))
        for finding in found:
            _print_finding(report, finding, console)
    skipped = [o for o in report.outcomes if not o.judged]
    if skipped:
        console.print(Text("\nSKIPPED", style="dim"))
        for outcome in skipped:
            console.print(Text(f"  {outcome.check.id}: {outcome.reason}"), highlight=False)
    _print_drops(report, console)
    for note in report.notes:
        console.print(Text(f"note: {note}"), highlight=False)
    console.print(Text(summary_line(report)), highlight=False)


def _print_finding(report: DoctorReport, finding: Finding, console: Any) -> None:
    """The check and its objects on one line when they fit, else one object a line; then the
    message, indented, wrapped at whole words on a terminal."""
    from rich.text import Text

    where = catalog_location(report, finding.index)
    place = f"  ({where[0]}:{where[1]})" if where else ""
    width = console.width if console.is_terminal else None
    style = STYLE[finding.severity]
    one_line = f"  {finding.check}  " + " ".join(finding.objects) + place
    if width is None or len(one_line) <= width:
        head = Text(f"  {finding.check}  ", style=style)
        head.append(" ".join(finding.objects))
        head.append(place, style="dim")
        console.print(head, highlight=False)
    else:
        console.print(Text(f"  {finding.check}", style=style).append(place, style="dim"))
        for name in finding.objects:  # indented when it fits; never folded: a name is whole
            indent = "    " if len(name) + 4 <= width else ""
            console.print(Text(indent + name), highlight=False, soft_wrap=True)
    for line in _wrap(finding.message, "      ", width):
        console.print(Text(line), highlight=False)
    for statement in finding.statements:  # each on lines of its own, ready to paste
        _print_sql(console, statement, width, first=" " * 8, indent=" " * 10)


def _wrap(text: str, indent: str, width: int | None, *, hang: str | None = None) -> list[str]:
    """`text` after `indent`, wrapped at whole words to `width` (None: one line); continuation
    lines under `hang` (default: `indent`)."""
    if width is None:
        return [indent + text]
    return wrap(text, width, first=indent, indent=indent if hang is None else hang)


def _print_sql(console: Any, statement: str, width: int | None, *, first: str, indent: str) -> None:
    from rich.text import Text

    for line in sql_lines(statement, width, first=first, indent=indent):
        console.print(Text(line), highlight=False, soft_wrap=True)


def sql_lines(statement: str, width: int | None, *, first: str, indent: str) -> list[str]:
    """A statement in lines that paste as the same statement: broken only at a single space
    outside quoted names and string literals and before the trailing comment, which stays on
    the line of the `;` (lint's ignore directive applies to the statement ending on its
    line). A part wider than its indented line goes unindented; nothing is ever cut."""
    if width is None:
        return [first + statement]
    lines: list[str] = []
    current = ""
    for part in _sql_parts(statement):
        if current and len(current) + 1 + len(part) <= width:
            current += " " + part
            continue
        if current:
            lines.append(current)
        lead = indent if lines else first
        current = lead + part if len(lead) + len(part) <= width else part
    lines.append(current)
    return lines


def _sql_parts(statement: str) -> list[str]:
    cuts = [-1, *_break_points(statement), len(statement)]
    return [statement[a + 1 : b] for a, b in zip(cuts, cuts[1:], strict=False)]


def _break_points(statement: str) -> list[int]:
    """The single spaces outside quotes, before the spaces that lead to a `--` comment."""
    spaces, quote, i = [], "", 0
    while i < len(statement):
        char = statement[i]
        if quote:
            if quote == "E" and char == "\\":
                i += 1  # E'...' takes backslash escapes: \' is no closing quote
            elif char == ("'" if quote == "E" else quote):
                quote = ""
        elif char == '"':
            quote = char
        elif char == "'":
            quote = "E" if _escape_string(statement, i) else char
        elif statement.startswith("--", i):
            code = len(statement[:i].rstrip())
            return [at for at in spaces if at < code]
        elif char == " " and statement[i - 1 : i] != " " and statement[i + 1 : i + 2] != " ":
            spaces.append(i)
        i += 1
    return spaces


def _escape_string(statement: str, quote_at: int) -> bool:
    before = statement[max(quote_at - 2, 0) : quote_at]
    return before[-1:] in ("e", "E") and not (len(before) == 2 and _word_char(before[0]))


def _word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _print_drops(report: DoctorReport, console: Any) -> None:
    from rich.text import Text

    drops = report.drops
    console.print(
        Text(
            f"\nDROP CANDIDATES ({len(drops.candidates)}, "
            f"{human_bytes(drops.reclaimable)} reclaimable)",
            style="bold",
        )
    )
    if drops.candidates:
        table = Table(
            (
                Column("index", name=True),
                Column("table", name=True),
                Column("size", justify="right", brief=True),
                Column("covered by", wrap=True),
                Column("reasons", wrap=True),
            )
        )
        for c in drops.candidates:
            covered = (
                f"{c.covered_by.qualified_name} ({human_bytes(c.covered_by.size)})"
                if c.covered_by
                else "-"
            )
            table.add(
                c.index.qualified_name,
                c.index.qualified_table,
                human_bytes(c.index.size),
                covered,
                ", ".join(c.reasons),
            )
        print_table(table, console)
        console.print(Text("\n  statements to run (doctor never runs them):"), highlight=False)
        width = console.width if console.is_terminal else None
        for candidate in drops.candidates:
            _print_sql(console, candidate.statement, width, first=" " * 4, indent=" " * 6)
            if candidate.index.partitioned:
                console.print(
                    Text("      -- partitioned: no CONCURRENTLY; locks every partition"),
                    highlight=False,
                )
    else:
        console.print(Text("  none"), highlight=False)
    width = console.width if console.is_terminal else None
    for kept in drops.kept:
        text = f"kept {kept.index.qualified_name} ({', '.join(kept.reasons)}): {kept.why}"
        for line in _wrap(text, "  ", width, hang="    "):
            console.print(Text(line), highlight=False, soft_wrap=True)


def _console() -> Any:
    """The shared stdout console; off a terminal, plain and wide enough not to fold lines."""
    from plinto_db.report import stdout

    console = stdout()
    if console.is_terminal:
        return console
    from rich.console import Console

    return Console(soft_wrap=True, width=10_000, no_color=True, highlight=False)


def _index_name(index: IndexFact | None) -> str | None:
    return index.qualified_name if index else None


def _finding_document(report: DoctorReport, finding: Finding) -> dict[str, Any]:
    where = catalog_location(report, finding.index)
    return {
        "check": finding.check,
        "severity": finding.severity.value,
        "objects": list(finding.objects),
        "message": finding.text,
        "statements": list(finding.statements),
        "table": finding.table,
        "index": _index_name(finding.index),
        "covered_by": _index_name(finding.covered_by),
        "location": {"file": where[0], "line": where[1]} if where else None,
        "details": finding.details,
    }


def json_document(report: DoctorReport) -> dict[str, Any]:
    counts = Counter(f.severity for f in report.findings)
    return {
        "tool": "plinto-db doctor",
        "version": __version__,
        "server": report.server,
        "target": report.target,
        "schemas": list(report.schemas),
        "summary": {s.value: counts[s] for s in Severity},
        "checks": [
            {
                "id": o.check.id,
                "severity": o.check.severity.value,
                "kind": o.check.kind.value,
                "title": o.check.title,
                "status": "judged" if o.judged else "skipped",
                "reason": o.reason or None,
                "findings": len(o.findings),
            }
            for o in report.outcomes
        ],
        "findings": [_finding_document(report, f) for f in report.findings],
        **_drops_document(report),
        "tables": [
            {
                "table": t.table.qualified_name,
                "indexes": t.indexes,
                "index_bytes": t.index_bytes,
                "table_bytes": t.table.size,
                "ratio": round(t.ratio, 3) if t.ratio is not None else None,
            }
            for t in report.tables
        ],
        "statistics": _statistics_document(report),
        "workload": _workload_document(report),
        "notes": list(report.notes),
    }


def _drops_document(report: DoctorReport) -> dict[str, Any]:
    drops = report.drops
    return {
        "drop_candidates": [
            {
                "index": c.index.qualified_name,
                "table": c.index.qualified_table,
                "size_bytes": c.index.size,
                "reasons": list(c.reasons),
                "covered_by": _index_name(c.covered_by),
                "covered_by_size_bytes": c.covered_by.size if c.covered_by else None,
                "statement": c.statement,
            }
            for c in drops.candidates
        ],
        "reclaimable_bytes": drops.reclaimable,
        "kept": [
            {"index": k.index.qualified_name, "reasons": list(k.reasons), "why": k.why}
            for k in drops.kept
        ],
    }


def _statistics_document(report: DoctorReport) -> dict[str, Any] | None:
    stats = report.stats
    if stats is None:
        return None
    return {
        "since": stats.since.isoformat(),
        "reset": stats.reset,
        "age_days": round(stats.age_days, 3),
        "min_age_days": stats.min_age_days,
        "enough": stats.enough,
    }


def _workload_document(report: DoctorReport) -> dict[str, Any] | None:
    workload = report.workload
    if workload is None:
        return None
    return {
        "checks_dir": workload.checks_dir,
        "mode": workload.mode,
        "proven": workload.proven,
        "unproven": None if workload.unproven is None else len(workload.unproven),
        "note": workload.note,
    }


def sarif_document(report: DoctorReport) -> dict[str, Any]:
    rules = [_sarif_rule(o.check) for o in report.outcomes]
    results = []
    for finding in report.findings:
        where = catalog_location(report, finding.index)
        kind = "index" if finding.index is not None else "table"
        if finding.check == "fk-without-index":
            kind = "constraint"
        logical = ((finding.objects[0], kind),) + tuple(
            (name, "index") for name in finding.objects[1:]
        )
        results.append(
            SarifResult(
                rule=finding.check,
                level=finding.severity.value,
                message=finding.text,
                path=where[0] if where else None,
                line=where[1] if where else None,
                logical=logical,
            )
        )
    return sarif_log("plinto-db doctor", rules, results)


def _sarif_rule(check: Check) -> SarifRule:
    return SarifRule(check.id, check.title, check.severity.value, help=check.fix)


def checks_table(checks: tuple[Check, ...]) -> str:
    width = max(len(c.id) for c in checks)
    return "\n".join(
        f"{c.id:<{width}}  {c.severity.value:<7}  {c.kind.value:<8}  {c.title}" for c in checks
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 and word != 'info' else ''}"


def write_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
