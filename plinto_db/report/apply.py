"""Rendering apply and drop: the actions taken, a conclusion, and --dry-run's SQL script."""

from __future__ import annotations

import sys
from typing import Any

from plinto_db import report
from plinto_db.pg.versions import format_version
from plinto_db.report.layout import Cell, Column, Table, print_table

RESULT_STYLE = {
    "skipped": "dim",
    "done": "green",
    "planned": "cyan",
    "failed": "bold red",
    "timed-out": "bold yellow",
    "blocked": "bold yellow",
    "refused": "bold magenta",
    "interrupted": "bold red",
}
ACTION_COLUMNS = (
    Column("index", name=True),
    Column("table", name=True),
    Column("action", brief=True),
    Column("result", brief=True),
    Column("seconds", justify="right", brief=True),
    Column("detail", wrap=True),
)


def apply_document(result) -> dict[str, Any]:
    return {
        "command": "apply",
        "dry_run": result.dry_run,
        "server_version": format_version(result.server_version),
        "converged": result.converged,
        "exit_code": int(result.exit_code),
        "actions": [_outcome_dict(o, result.dry_run) for o in result.outcomes],
        "remaining": list(result.remaining),
    }


def _outcome_dict(outcome, dry_run: bool) -> dict[str, Any]:
    action = outcome.action
    statements = [s for step in action.steps for s in step.statements]
    return {
        "name": outcome.name,
        "table": action.table,
        "state": str(action.state) if action.state else None,
        "action": str(action.kind),
        "result": str(outcome.result),
        "seconds": round(outcome.seconds, 3),
        "detail": outcome.detail or action.reason or None,
        "sql": statements if dry_run else outcome.statements,
        "waits": [b.as_dict() for b in outcome.waits],
    }


def render_apply(result, fmt: report.OutputFormat) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json(apply_document(result))
    elif result.dry_run:
        _render_plan(result, fmt)
    elif fmt == report.OutputFormat.markdown:
        _render_markdown(result)
        _line(apply_conclusion(result))
    else:
        changed = [o for o in result.outcomes if o.result != "skipped"]
        if changed:
            table = Table(ACTION_COLUMNS, title="plinto-db apply")
            for o in changed:
                style = RESULT_STYLE.get(str(o.result), "")
                table.add(
                    o.name,
                    o.action.table,
                    str(o.action.kind),
                    Cell(str(o.result), style),
                    f"{o.seconds:.2f}",
                    o.detail or o.action.reason or "",
                )
            print_table(table)
        _line(apply_conclusion(result))


def apply_conclusion(result) -> str:
    """What changed, how long it took, what was left and why: one line to act on."""
    counts: dict[str, int] = {}
    for o in result.outcomes:
        if o.result != "skipped":
            key = f"{o.action.kind} {o.result}" if o.result != "done" else str(o.action.kind)
            counts[key] = counts.get(key, 0) + 1
    unverified = [o.name for o in result.outcomes if o.action.state == "unverified"]
    same = sum(1 for o in result.outcomes if o.result == "skipped") - len(unverified)
    changes = ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing to do"
    took = f" in {result.seconds:.1f}s" if result.seconds else ""
    verdict = "converged" if result.converged else "NOT converged"
    text = f"{verdict}{took}: {changes}; {same} index(es) already as in the catalog"
    refused = [o.name for o in result.outcomes if o.result == "refused"]
    not_valid = [name for name in result.remaining if name not in (*refused, *unverified)]
    if not_valid:
        text += f"; not valid: {', '.join(not_valid)}"
    if unverified:
        text += (
            f"; valid but unverified (a read-only server cannot compare definitions): "
            f"{', '.join(unverified)} (run plinto-db apply on the primary once)"
        )
    if refused:
        text += f"; drift refused: {', '.join(refused)} (see detail; --replace-drifted)"
    return text


def found_conclusion(result) -> str:
    """A dry run executes nothing: its verdict is on the database as it was found."""
    if result.converged:
        return "as found: converged"
    names = ", ".join(result.remaining)
    return f"as found: NOT converged; not valid or not as in the catalog: {names}"


def _render_markdown(result) -> None:
    _raw(report.markdown_row(column.header for column in ACTION_COLUMNS))
    _raw("|---|---|---|---|---|---|")
    for o in result.outcomes:
        detail = o.detail or o.action.reason or ""
        _raw(
            report.markdown_row(
                (o.name, o.action.table, o.action.kind, o.result, f"{o.seconds:.2f}", detail)
            )
        )


def _render_plan(result, fmt: report.OutputFormat) -> None:
    """Plain text, never wrapped: the plan is SQL a DBA can copy into psql."""
    lines = []
    work = [o for o in result.outcomes if o.result != "skipped"]
    for o in work:
        action = o.action
        reason = f" ({action.reason})" if action.reason else ""
        lines.append(f"-- {action.name} on {action.table}: {action.kind}{reason}")
        for step in action.steps:
            if step.optional:
                lines.append(f"-- optional (a failure is reported, not fatal: {step.why}):")
            if len(step.statements) > 1:  # the swap: one transaction, as apply runs it
                lines.append("BEGIN;")
                lines.extend(f"{statement};" for statement in step.statements)
                lines.append("COMMIT;")
            else:
                lines.extend(f"{statement};" for statement in step.statements)
    lines.append(
        f"-- plan: {len(work)} action(s), {len(result.outcomes) - len(work)} index(es) "
        "already as in the catalog (dry run: nothing was changed)"
    )
    lines.append(f"-- {found_conclusion(result)}")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def render_drop(result, fmt: report.OutputFormat) -> None:
    doc = apply_document(result)
    doc["command"] = "drop"
    if fmt == report.OutputFormat.json:
        report.print_json(doc)
        return
    dropped = [a for a in doc["actions"] if a["result"] == "done"]
    for a in doc["actions"]:
        if a["result"] != "skipped":
            _line(f"{a['name']}: {a['result']} {a['detail'] or ''}".rstrip())
    _line(f"dropped {len(dropped)} index(es)")


def _line(text: str) -> None:
    report.line(text)


def _raw(text: str) -> None:
    """Markdown goes out as it is: wrapping would break its tables."""
    sys.stdout.write(text + "\n")
