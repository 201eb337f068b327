"""Rendering apply, status, drop and history: rich tables, JSON documents, progress events."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.table import Table

from plinto_db import report
from plinto_db.pg.connect import format_version

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
STATE_STYLE = {
    "valid": "green",
    "missing": "yellow",
    "invalid": "bold red",
    "building": "cyan",
    "drifted": "bold magenta",
    "leftover": "red",
    "unknown": "dim",
}


# -- apply -----------------------------------------------------------------------------------


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
        return
    out = report.stdout()
    if result.dry_run:
        _render_plan(result, fmt)
        return
    changed = [o for o in result.outcomes if o.result != "skipped"]
    skipped = len(result.outcomes) - len(changed)
    if fmt == report.OutputFormat.markdown:
        _line("| index | table | action | result | seconds | detail |")
        _line("|---|---|---|---|---|---|")
        for o in result.outcomes:
            detail = (o.detail or o.action.reason or "").replace("|", "\\|")
            _line(
                f"| {o.name} | {o.action.table} | {o.action.kind} | {o.result} | "
                f"{o.seconds:.2f} | {detail} |"
            )
    elif changed:
        table = Table(title="plinto-db apply", title_justify="left")
        for col in ("index", "table", "action", "result", "seconds", "detail"):
            table.add_column(
                col,
                justify="right" if col == "seconds" else "left",
                no_wrap=col in ("index", "action", "result"),
            )
        for o in changed:
            style = RESULT_STYLE.get(str(o.result), "")
            table.add_row(
                o.name,
                o.action.table,
                str(o.action.kind),
                f"[{style}]{o.result}[/]",
                f"{o.seconds:.2f}",
                _escape(o.detail or o.action.reason or ""),
            )
        out.print(table)
    verdict = "converged" if result.converged else "NOT converged"
    extra = f"; not valid: {', '.join(result.remaining)}" if result.remaining else ""
    _line(
        f"{verdict}: {len(changed)} action(s), {skipped} index(es) already as in the catalog{extra}"
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


# -- status ----------------------------------------------------------------------------------


def render_status(rows: list[dict[str, Any]], fmt: report.OutputFormat, server: str) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json({"command": "status", "server_version": server, "indexes": rows})
        return
    out = report.stdout()
    cols = ("name", "table", "state", "size", "scans", "detail")
    if fmt == report.OutputFormat.markdown:
        _line("| " + " | ".join(cols) + " |")
        _line("|" + "---|" * len(cols))
        for r in rows:
            values = [r["name"], r["table"], r["state"], _size(r["size_bytes"]), r["scans"]]
            values.append((r.get("detail") or "").replace("|", "\\|"))
            _line("| " + " | ".join(str(v) for v in values) + " |")
        return
    table = Table(title="plinto-db status", title_justify="left")
    for col in cols:
        table.add_column(
            col,
            justify="right" if col in ("size", "scans") else "left",
            no_wrap=col in ("name", "state", "size"),
        )
    for r in rows:
        style = STATE_STYLE.get(r["state"], "")
        table.add_row(
            r["name"] if r["managed"] else f"[dim]{_escape(r['name'])}[/]",
            r["table"],
            f"[{style}]{r['state']}[/]",
            _size(r["size_bytes"]),
            "" if r["scans"] is None else str(r["scans"]),
            _escape(r.get("detail") or ""),
        )
    out.print(table)


# -- history ---------------------------------------------------------------------------------


def render_history(entries, fmt: report.OutputFormat) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json({"command": "history", "entries": [e.as_dict() for e in entries]})
        return
    out = report.stdout()
    if not entries:
        _line("no apply has been recorded in this database")
        return
    cols = ("at", "index", "table", "action", "outcome", "seconds", "versions", "detail")
    if fmt == report.OutputFormat.markdown:
        _line("| " + " | ".join(cols) + " |")
        _line("|" + "---|" * len(cols))
    else:
        table = Table(title="plinto-db history (newest first)", title_justify="left")
        for col in cols:
            table.add_column(col)
    for e in entries:
        values = (
            e.at.strftime("%Y-%m-%d %H:%M:%S%z"),
            e.index_name,
            e.table_name,
            e.action,
            e.outcome,
            f"{e.seconds:.2f}",
            f"pg {e.server_version}, plinto-db {e.tool_version}",
            e.detail or "",
        )
        if fmt == report.OutputFormat.markdown:
            _line("| " + " | ".join(v.replace("|", "\\|") for v in values) + " |")
        else:
            table.add_row(*(_escape(v) for v in values))
    if fmt != report.OutputFormat.markdown:
        out.print(table)


def _line(text: str) -> None:
    """Markdown and plain lines go straight to stdout: never wrapped to the terminal width."""
    sys.stdout.write(text + "\n")


def _size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# -- progress events -------------------------------------------------------------------------


class NoteEvents:
    """No terminal: one stderr line per start, wait and end (quiet with --format json)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def started(self, action) -> None:
        if not self.quiet:
            report.note(f"{action.kind} {action.name} on {action.table}")

    def step(self, action, step) -> None:
        pass

    def progress(self, action, progress) -> None:
        pass

    def waiting(self, action, blocker, phase) -> None:
        if not self.quiet:
            report.note(f"{action.name}: {phase}: waiting for {blocker.describe()}")

    def finished(self, outcome) -> None:
        if not self.quiet:
            detail = f": {outcome.detail}" if outcome.detail else ""
            report.note(f"{outcome.name}: {outcome.result} in {outcome.seconds:.1f}s{detail}")


class BarEvents(NoteEvents):
    """A terminal: one progress bar per running build, phase and blocks/tuples done."""

    def __init__(self):
        super().__init__()
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bars = Progress(
            TextColumn("{task.fields[name]}", style="bold"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=report.stderr(),
            transient=True,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bars.stop()

    def started(self, action) -> None:
        self.tasks[action.name] = self.bars.add_task(str(action.kind), total=None, name=action.name)

    def step(self, action, step) -> None:
        task = self.tasks.get(action.name)
        if task is not None:
            self.bars.update(task, description=f"{step.kind}")

    def progress(self, action, progress) -> None:
        task = self.tasks.get(action.name)
        if task is None:
            return
        text = progress.phase
        if progress.blockers:
            text += " — waiting for " + progress.blockers[0].describe()
        fraction = progress.fraction
        self.bars.update(
            task,
            description=_escape(text[:100]),
            total=100 if fraction is not None else None,
            completed=(fraction or 0) * 100,
        )

    def waiting(self, action, blocker, phase) -> None:
        self.bars.console.print(
            f"plinto-db: {action.name}: {phase}: waiting for {blocker.describe()}",
            markup=False,
            highlight=False,
        )

    def finished(self, outcome) -> None:
        task = self.tasks.pop(outcome.name, None)
        if task is not None:
            self.bars.remove_task(task)
        detail = f": {outcome.detail}" if outcome.detail else ""
        self.bars.console.print(
            f"plinto-db: {outcome.name}: {outcome.result} in {outcome.seconds:.1f}s{detail}",
            markup=False,
            highlight=False,
        )


@contextmanager
def apply_events(fmt: report.OutputFormat, *, live: bool = True) -> Iterator[NoteEvents]:
    """Progress bars on a terminal while `live` work runs; else one line per event on
    stderr (none with --format json)."""
    if live and report.interactive(fmt):
        with BarEvents() as events:
            yield events
    else:
        yield NoteEvents(quiet=fmt == report.OutputFormat.json)
