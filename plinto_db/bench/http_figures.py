"""The HTTP level's figures, as pure functions: failures classified, successful requests/s,
ratios from successful requests only, the mixed run as the API as a whole.

A failed request is not throughput: `rps` here counts successful requests per second (Locust's
own figure, every request sent, is kept as `sent_rps`). A failure is either **overload**, the
API's answer when it cannot keep up (503 when no pooled connection was free in time, 504 when a
statement ran into the API's statement_timeout), which is a result worth showing; or an
**error**, anything else (another status, no answer at all), which is a bug and fails the run.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

OVERLOAD = "overload"
ERROR = "error"
POOL_EXHAUSTED = "pool exhausted"  # in the API's 503 message (api/database.py)
NO_ANSWER = 0  # Locust's status when no response came (connection refused, reset)

# the locustfile reports each failure as "HTTP <status>: <the API's one-line error>"
_FAILURE = re.compile(r"HTTP (\d{1,3}): (.*?)['\"]?\)?$", re.DOTALL)
SHOWN_FAILURE = ("status", "kind", "reason", "count")
FIGURES = ("requests", "failures", "rps", "avg_ms", "p50_ms", "p95_ms", "p99_ms")


def parse_failure(text: str) -> tuple[int, str]:
    """(status, reason) of one Error cell of Locust's failures CSV; (0, text) when it is not
    ours (a failure Locust raised itself)."""
    match = _FAILURE.search(text)
    if match is None:
        return NO_ANSWER, text.strip()
    return int(match.group(1)), match.group(2).strip()


def classify(status: int, reason: str) -> tuple[str, str]:
    """(OVERLOAD or ERROR, a short label) of one failure."""
    if status == 503 and POOL_EXHAUSTED in reason:
        return OVERLOAD, "503 pool exhausted: no database connection free within 5 s"
    if status == 504:
        return OVERLOAD, "504 statement timeout: the query ran past the API's statement_timeout"
    if status == NO_ANSWER:
        return ERROR, f"no answer: {reason}"
    return ERROR, f"{status}: {reason}"


def parse_failures(path: Path) -> list[dict[str, Any]]:
    """Locust's failures CSV as [{name, status, kind, reason, count}], counts of a same
    (name, status, kind, reason) summed; [] when the file is missing (no failure)."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    counted: dict[tuple[str, int, str, str], int] = {}
    for row in rows:
        status, reason = parse_failure(row.get("Error") or "")
        kind, label = classify(status, reason)
        key = (row.get("Name") or "", status, kind, label)
        counted[key] = counted.get(key, 0) + int(row.get("Occurrences") or 0)
    return [
        {"name": name, "status": status, "kind": kind, "reason": label, "count": count}
        for (name, status, kind, label), count in sorted(counted.items())
    ]


def phase_figures(row: Mapping[str, Any], failures: Iterable[Mapping[str, Any]]) -> dict:
    """One Locust row (an endpoint, or the aggregate when `failures` are all of them) with
    successful requests/s as `rps` and its failures by status next to it."""
    requests, failed = int(row.get("requests") or 0), int(row.get("failures") or 0)
    sent_rps = float(row.get("rps") or 0.0)
    ok_rps = sent_rps * (requests - failed) / requests if requests else 0.0
    by_status = merged(failures)
    return {
        "requests": requests,
        "failures": failed,
        "rps": round(ok_rps, 2),
        "sent_rps": round(sent_rps, 2),
        "avg_ms": row.get("avg_ms"),
        "p50_ms": row.get("p50_ms"),
        "p95_ms": row.get("p95_ms"),
        "p99_ms": row.get("p99_ms"),
        "max_ms": row.get("max_ms"),
        "failures_by_status": by_status,
    }


def merged(failures: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Failures by (status, kind, reason), counts summed over endpoints, most frequent first."""
    counted: dict[tuple, int] = {}
    for f in failures:
        key = (f["status"], f["kind"], f["reason"])
        counted[key] = counted.get(key, 0) + f["count"]
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    return [dict(zip(SHOWN_FAILURE, (*key, count), strict=True)) for key, count in ordered]


def of_endpoint(failures: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [f for f in failures if f["name"] == name]


def rps_ratio(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> float | None:
    """After / before successful requests per second; None when either has none."""
    if not before or not after:
        return None
    low, high = before.get("rps"), after.get("rps")
    if not low or high is None:
        return None
    return round(high / low, 2)


def pair(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    """One results.json entry: both phases' figures and the ratio of successful requests/s."""
    return {**extra, "before": before, "after": after, "rps_ratio": rps_ratio(before, after)}
