"""Locust's command lines and its CSV, as pure functions (no process is started here)."""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
FINAL_SUFFIX = "_final_stats.csv"  # written by the locustfile when Locust quits
FINAL_FAILURES_SUFFIX = "_final_failures.csv"  # likewise, the failures by endpoint and error
THINK_SECONDS = (0.5, 1.5)  # the locustfile's, for the scenario's users (it imports gevent)
AGGREGATED = "Aggregated"
# Locust's `bucket_response_time` (locust/stats.py): the percentiles it reports are bucketed
PERCENTILE_BUCKETS = "whole ms below 100 ms, 10 ms up to 1 s, 2 significant digits above"


def run_options(
    *,
    host_url: str,
    users: int,
    spawn_rate: float,
    seconds: float,
    csv_prefix: Path,
    paths: Sequence[str],
    rate_per_user: float,
    user_classes: Sequence[str] = ("ApiUser",),
) -> list[str]:
    """The options of a headless run (a single process, or the master of a distributed one)."""
    return [
        "-f", str(LOCUSTFILE),
        *user_classes,
        "--headless",
        "--users", str(users),
        "--spawn-rate", f"{spawn_rate:g}",
        "--run-time", f"{max(1, math.ceil(seconds))}s",
        "--host", host_url,
        "--csv", str(csv_prefix),
        "--only-summary",
        "--loglevel", "WARNING",
        "--exit-code-on-error", "0",  # failures are figures, classified by bench
        "--stop-timeout", "5",
        "--plinto-endpoints", ",".join(paths),
        "--plinto-rate", f"{rate_per_user:g}",
    ]  # fmt: skip


def single_command(options: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "locust", *options]


def master_command(options: Sequence[str], workers: int, port: int) -> list[str]:
    return [
        *single_command(options),
        "--master",
        "--expect-workers", str(workers),
        "--expect-workers-max-wait", "60",
        "--master-bind-host", "127.0.0.1",
        "--master-bind-port", str(port),
    ]  # fmt: skip


def worker_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--worker",
        "--master-host", "127.0.0.1",
        "--master-port", str(port),
        "--loglevel", "WARNING",
    ]  # fmt: skip


def _number(text: str | None) -> float | None:
    if text is None or text.strip() in ("", "N/A"):
        return None
    return float(text)


def _row(row: dict[str, str]) -> dict[str, Any]:
    requests = int(_number(row.get("Request Count")) or 0)
    return {
        "name": row["Name"],
        "requests": requests,
        "failures": int(_number(row.get("Failure Count")) or 0),
        "rps": _number(row.get("Requests/s")) or 0.0,
        "p50_ms": _number(row.get("50%")),
        "p95_ms": _number(row.get("95%")),
        "p99_ms": _number(row.get("99%")),
        "p999_ms": _number(row.get("99.9%")),
        "avg_ms": _number(row.get("Average Response Time")),
        "min_ms": _number(row.get("Min Response Time")),
        "max_ms": _number(row.get("Max Response Time")),
    }


def parse_stats(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Per-name rows and the Aggregated row of Locust's `<prefix>_stats.csv`."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and "Name" not in rows[0]:
        raise ValueError(f"{path}: not a Locust stats file (no Name column)")
    endpoints = [_row(r) for r in rows if r.get("Name") != AGGREGATED]
    aggregated = next((_row(r) for r in rows if r.get("Name") == AGGREGATED), None)
    return endpoints, aggregated


def limits(
    *,
    closed_loop: bool,
    offered_rps: float | None,
    workers: int,
    users: int,
    spawn_rate: float,
    think_seconds: tuple[float, float] | None = None,
) -> list[str]:
    """What these figures cannot say, written next to them."""
    notes = []
    if think_seconds is not None:
        low, high = think_seconds
        notes.append(
            f"the scenario's users wait {low:g}–{high:g} s (uniform) between two requests, as "
            "a person does: the offered load follows the answers, not a fixed rate"
        )
    elif closed_loop:
        notes.append(
            "closed loop at saturation: each Locust user sends its next request when the "
            "previous answer is in, so latency here is mostly queueing (Little's law), and a "
            "server stall hides the requests never sent (coordinated omission)"
        )
    else:
        notes.append(
            f"constant throughput: {offered_rps:g} requests/s offered ({users} users, each "
            "paced by Locust's constant_throughput); a slow answer still delays that user's "
            "next request (no coordinated-omission correction)"
        )
    notes.append(
        f"Locust's percentiles are bucketed ({PERCENTILE_BUCKETS}); average, min and max are exact"
    )
    notes.append(
        f"requests/s are over the whole run, ramp-up included ({users} users at {spawn_rate:g}/s)"
    )
    where = f"a master and {workers} Locust workers" if workers else "one Locust process"
    notes.append(
        f"{where} on this machine share its cores with the API and PostgreSQL; one Locust "
        "process tops out at a few thousand requests/s per core"
    )
    return notes
