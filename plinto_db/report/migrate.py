"""Rendering `migrate`: where the schema was and is, and what each revision created."""

from __future__ import annotations

import sys

from plinto_db import report
from plinto_db.server.snapshot import plural


def render_migrate(result, fmt: report.OutputFormat) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json(
            {
                "before": result.before,
                "after": result.after,
                "changed": result.changed,
                "revisions": [c.as_dict() for c in result.changes],
            }
        )
        return
    console = report.stdout()
    width = console.width if console.is_terminal else None
    lines: list[str] = []
    for change in result.changes:
        about = f" ({change.description})" if change.description else ""
        lines.extend(_wrapped(f"{change.revision}{about}: {change.summary()}", width))
        for verb, found in (("created", change.created), ("dropped", change.dropped)):
            for kind, names in found.items():
                lines.extend(_names(f"  {verb} {plural(kind)}: ", names, width))
    if result.changed:
        lines.append(f"migrated: {result.before or 'base'} -> {result.after or 'base'}")
    else:
        lines.append(f"already at {result.after or 'base'}: nothing to do")
    sys.stdout.write("\n".join(lines) + "\n")


def _names(head: str, names: tuple[str, ...], width: int | None) -> list[str]:
    return _wrapped(head + ", ".join(names), width)


def _wrapped(text: str, width: int | None) -> list[str]:
    if width is None:
        return [text]
    return report.wrap(text, width, indent=" " * 4)
