"""Rendering a capture run: one line per chosen statement, then the summary; or JSON."""

from __future__ import annotations

from typing import Any

from plinto_db import report
from plinto_db.capture.run import Action, CaptureRun, Outcome


def capture_document(run: CaptureRun) -> dict[str, Any]:
    return {
        "server": run.server,
        "out": str(run.out),
        "by": run.by.value,
        "summary": {
            **{action.value.replace(" ", "_"): run.count(action) for action in Action},
            "workload_statements": run.workload_statements,
            "chosen": len(run.outcomes),
            "below_cut": run.below_cut,
            "covered": round(run.covered, 4),
        },
        "statements": [_outcome(o) for o in run.outcomes],
        "left_out": run.left_out,
    }


def _outcome(outcome: Outcome) -> dict[str, Any]:
    numbers = outcome.numbers
    return {
        "queryid": outcome.queryid,
        "action": outcome.action.value,
        "file": str(outcome.path) if outcome.path else None,
        "calls": numbers.calls,
        "mean_ms": round(numbers.mean_ms, 3),
        "total_ms": round(numbers.total_ms, 3),
        "time_share": round(numbers.time_share, 4),
        "share": round(outcome.share, 4),
        "mode": outcome.mode,
        "expect": list(outcome.expectations),
        "verdict": outcome.verdict,
        "reason": outcome.reason,
        "query": outcome.query,
    }


def print_json(run: CaptureRun) -> None:
    report.print_json(capture_document(run))


def print_text(run: CaptureRun) -> None:
    for outcome in run.outcomes:
        report.line(_line(outcome), indent="    ")
    report.line(summary(run))
    if run.left_out:
        left = ", ".join(f"{count} {reason}" for reason, count in run.left_out.items())
        report.line(f"left out: {left}")


def _line(outcome: Outcome) -> str:
    where = str(outcome.path) if outcome.path else _short(outcome.query)
    share = f"{outcome.numbers.time_share:.1%} of the time"
    text = f"{outcome.action.value:<10} {where} ({share}"
    if outcome.action is Action.WRITTEN:
        text += f", {outcome.mode}): expect {'; '.join(outcome.expectations)}"
        if outcome.verdict != "pass":
            text += f" [fails today: {outcome.reason}]"
        return text
    return text + ")" + (f": {outcome.reason}" if outcome.reason else "")


def _short(query: str, size: int = 60) -> str:
    flat = " ".join(query.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def summary(run: CaptureRun) -> str:
    counts = ", ".join(
        f"{run.count(action)} {action.value}" for action in Action if run.count(action)
    )
    measure = "calls" if run.by.value == "calls" else "execution time"
    return (
        f"{counts or 'nothing to capture'}: {len(run.outcomes)} of {run.workload_statements} "
        f"workload statements, {run.covered:.1%} of their {measure}, in {run.out}"
    )
