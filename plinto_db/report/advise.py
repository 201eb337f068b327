"""Rendering an AdviseRun: text, JSON, Markdown."""

from __future__ import annotations

import math
from typing import Any

from plinto_db.advise.model import AdviseRun, Proposal, cost_text
from plinto_db.doctor.model import human_bytes
from plinto_db.report import markdown_row, print_json


def headline(run: AdviseRun) -> str:
    if not run.proposals:
        return f"nothing to add: {_why_nothing(run)}"
    served = len({s.check for p in run.proposals for s in p.serves})
    return (
        f"{len(run.proposals)} index(es) serve {served} of {run.checks_total} checks, "
        f"{human_bytes(run.total_size)} estimated ({run.method}; "
        f"{run.candidates_costed} candidates costed in {run.seconds:.1f} s)"
    )


def _why_nothing(run: AdviseRun) -> str:
    if not run.targets:
        return f"all {run.checks_total} checks pass and none reads a table of interest sequentially"
    return (
        f"no candidate cuts the cost of the {len(run.targets)} check(s) that could use one "
        f"by {run.min_gain:.0%} or more"
    )


def print_text(run: AdviseRun) -> None:
    print(f"advise on {run.server} ({run.target}): {headline(run)}")
    for proposal in run.proposals:
        size = human_bytes(proposal.size_bytes) if proposal.size_bytes is not None else "?"
        print(f"\n  {proposal.name}  ({size})")
        print(f"    {proposal.candidate.describe()}")
        for s in proposal.serves:
            change = f"{cost_text(s.before)} → {cost_text(s.after)} (-{s.gain:.0%})"
            print(f"    serves {s.check}: {change}")
        if proposal.also_used_by:
            print(f"    also used by: {', '.join(proposal.also_used_by)}")
    unserved = [t for t in run.targets if not t.outcome.startswith("served")]
    if unserved:
        print("\nnot advised:")
        for t in unserved:
            print(f"  {t.check}: {t.why}: {t.outcome}")
    if run.skipped:
        print("\nskipped:")
    for check, why in run.skipped:
        print(f"  {check}: {why}")
    _print_writes(run)
    for note in run.notes:
        print(f"note: {note}")


def _print_writes(run: AdviseRun) -> None:
    if run.written:
        print(f"\nwrote {run.written} ({len(run.proposals)} index(es)): review, then apply")
    for change in run.expect_changes:
        if not change.written:
            print(f"  {change.file}: not updated: {change.why}")
            continue
        old = "; ".join(change.old) or "(added)"
        print(f"  {change.file}:{change.line}: {old} → {'; '.join(change.new)}")


def document(run: AdviseRun) -> dict[str, Any]:
    return {
        "server": run.server,
        "target": run.target,
        "method": run.method,
        "checks_dir": run.checks_dir,
        "min_gain": run.min_gain,
        "summary": {
            "checks": run.checks_total,
            "targets": len(run.targets),
            "proposals": len(run.proposals),
            "estimated_bytes": run.total_size,
            "candidates_costed": run.candidates_costed,
            "seconds": round(run.seconds, 3),
            "headline": headline(run),
        },
        "proposals": [_proposal(p) for p in run.proposals],
        "targets": [
            {
                "check": t.check,
                "file": t.file,
                "why": t.why,
                "cost": _number(t.cost),
                "outcome": t.outcome,
            }
            for t in run.targets
        ],  # fmt: skip
        "skipped": [{"check": c, "why": w} for c, w in run.skipped],
        "written": run.written,
        "expect_changes": [
            {
                "check": c.check,
                "file": c.file,
                "line": c.line,
                "old": list(c.old),
                "new": list(c.new),
                "written": c.written,
                "why": c.why or None,
            }
            for c in run.expect_changes
        ],  # fmt: skip
        "notes": list(run.notes),
    }


def _proposal(p: Proposal) -> dict[str, Any]:
    return {
        "name": p.name,
        "table": p.candidate.table,
        "schema": p.candidate.schema,
        "sql": p.sql + ";",
        "rules": list(p.candidate.rules),
        "estimated_bytes": p.size_bytes,
        "serves": [
            {
                "check": s.check,
                "cost_before": _number(s.before),
                "cost_after": s.after,
                "gain": round(s.gain, 4),
            }
            for s in p.serves
        ],  # fmt: skip
        "also_used_by": list(p.also_used_by),
    }


def _number(value: float | None) -> float | None:
    """JSON has no infinity: a forced plan's sequential scan has no comparable cost."""
    return None if value is None or math.isinf(value) else value


def print_json_report(run: AdviseRun) -> None:
    print_json(document(run))


def markdown(run: AdviseRun) -> str:
    lines = [f"## plinto-db advise: {headline(run)}", ""]
    if run.proposals:
        lines += [
            markdown_row(("index", "definition", "serves (cost before → after)", "size")),
            markdown_row(("---",) * 4),
        ]
        for p in run.proposals:
            serves = "; ".join(
                f"{s.check} ({cost_text(s.before)} → {cost_text(s.after)})" for s in p.serves
            )
            size = human_bytes(p.size_bytes) if p.size_bytes is not None else "?"
            lines.append(markdown_row((f"`{p.name}`", f"`{p.candidate.describe()}`", serves, size)))
    unserved = [t for t in run.targets if not t.outcome.startswith("served")]
    if unserved:
        lines += ["", "Not advised:", ""]
        lines += [f"- `{t.check}`: {t.why}: {t.outcome}" for t in unserved]
    if run.written:
        lines += ["", f"Wrote `{run.written}`."]
    return "\n".join(lines) + "\n"


def print_markdown(run: AdviseRun) -> None:
    print(markdown(run), end="")
