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


WORST_FIRST = ("failed", "interrupted", "timed-out", "blocked", "refused", "done", "planned")


class CatalogLine:
    """One catalog index's line: a partitioned index's many actions summed up as one."""

    def __init__(self, outcomes: list):
        self.outcomes = outcomes
        root = next((o for o in outcomes if o.name == o.action.catalog_name), outcomes[0])
        self.name = root.action.catalog_name
        self.table = root.action.table
        self.kind = str(root.action.kind)
        results = [str(o.result) for o in outcomes]
        done = [r for r in WORST_FIRST if r in results]
        self.result = done[0] if done else "skipped"
        ends = [o.started + o.seconds for o in outcomes if o.started]
        starts = [o.started for o in outcomes if o.started]
        self.seconds = max(ends) - min(starts) if starts else sum(o.seconds for o in outcomes)
        self.detail = self._detail(root)

    def _detail(self, root) -> str:
        if len(self.outcomes) == 1:
            return root.detail or root.action.reason or ""
        parts = [o for o in self.outcomes if o is not root]
        counts: dict[str, int] = {}
        for o in parts:
            key = str(o.action.kind) if str(o.result) == "done" else f"{o.action.kind} {o.result}"
            counts[key] = counts.get(key, 0) + 1
        text = f"{len(parts)} partition(s): " + ", ".join(f"{n} {k}" for k, n in counts.items())
        troubles = [f"{o.name}: {o.detail}" for o in parts if o.result not in ("done", "skipped")]
        return "; ".join([text, *troubles[:3]])


def catalog_lines(outcomes) -> list[CatalogLine]:
    groups: dict[str, list] = {}
    for o in outcomes:
        groups.setdefault(o.action.catalog_name, []).append(o)
    return [CatalogLine(group) for group in groups.values()]


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
        "catalog_index": action.catalog_name,
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
        changed = [line for line in catalog_lines(result.outcomes) if line.result != "skipped"]
        if changed:
            table = Table(ACTION_COLUMNS, title="plinto-db apply")
            for line in changed:
                style = RESULT_STYLE.get(line.result, "")
                table.add(
                    line.name,
                    line.table,
                    line.kind,
                    Cell(line.result, style),
                    f"{line.seconds:.2f}",
                    line.detail,
                )
            print_table(table)
        _line(apply_conclusion(result))


def apply_conclusion(result) -> str:
    """What changed, how long it took, what was left and why: one line to act on."""
    counts: dict[str, int] = {}
    lines = catalog_lines(result.outcomes)
    for line in lines:
        if line.result != "skipped":
            key = f"{line.kind} {line.result}" if line.result != "done" else line.kind
            counts[key] = counts.get(key, 0) + 1
    unverified = [o.name for o in result.outcomes if o.action.state == "unverified"]
    same = sum(1 for line in lines if line.result == "skipped") - len(unverified)
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
    for line in catalog_lines(result.outcomes):
        _raw(
            report.markdown_row(
                (line.name, line.table, line.kind, line.result, f"{line.seconds:.2f}", line.detail)
            )
        )


def _render_plan(result, fmt: report.OutputFormat) -> None:
    """Plain text, never wrapped: the plan is SQL a DBA can copy into psql."""
    lines = []
    work = [o for o in result.outcomes if o.result != "skipped"]
    for o in work:
        action = o.action
        reason = f" ({action.reason})" if action.reason else ""
        if action.name != action.catalog_name:  # one partition of a partitioned index
            where = f"partition {action.table} ({action.position})"
            lines.append(f"-- {action.catalog_name}: {where}: {action.kind} {action.name}")
        else:
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
    groups = catalog_lines(result.outcomes)
    todo = sum(1 for g in groups if g.result != "skipped")
    partitions = sum(1 for o in work if o.action.name != o.action.catalog_name)
    of_which = f" ({partitions} of them on partitions)" if partitions else ""
    lines.append(
        f"-- plan: {len(work)} action(s){of_which} for {todo} catalog index(es), "
        f"{len(groups) - todo} index(es) already as in the catalog (dry run: nothing was changed)"
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
