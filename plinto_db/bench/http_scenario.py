"""The Plinto report's load test (`bench --http --scenario report`) and its claims, as pure
functions: which Locust user classes run, and each claim against the figures measured.

The report behind this project claims, for 100 concurrent users over 300 seconds running an
authentication workload and an organisation workload: success rate above 95 %, average
response under 35 ms (15–35 ms), p95 under 50 ms; authentication 80–120 ms before → 15–25 ms
after; session validation 40–70 → 3–8 ms; organisation data 70–110 → 12–20 ms.

A claim holds when each figure measured lies in the claimed range ("under X" is 0–X): a figure
better than claimed does not hold either (the claim's number is not what was measured), and
`verdict` says in which direction it missed. Nothing here is tuned to make a claim hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REPORT = "report"
SCENARIOS = (REPORT,)
USERS = 100
SECONDS = 300.0
USER_CLASSES = ("ReportAuthUser", "ReportOrgUser")  # the locustfile's, in equal shares
SIGN_IN = "/flow/sign-in"
VALIDATION = "/flow/session-validation"
ORGANISATION = "/flow/org-dashboard"
ALL = "Aggregated"


@dataclass(frozen=True)
class Claim:
    claim: str
    endpoint: str  # a path, or ALL for every request of the run
    statistic: str  # the measured figure the claim is about
    before: tuple[float, float] | None  # claimed range in the before phase, if any
    after: tuple[float, float]


AVG = "avg_ms"
CLAIMS = (
    Claim("success rate above 95 %", ALL, "success_percent", None, (95.0, 100.0)),
    Claim("average response under 35 ms (15–35 ms)", ALL, AVG, None, (15.0, 35.0)),
    Claim("p95 under 50 ms", ALL, "p95_ms", None, (0.0, 50.0)),
    Claim("authentication 80–120 ms → 15–25 ms", SIGN_IN, AVG, (80.0, 120.0), (15.0, 25.0)),
    Claim("session validation 40–70 ms → 3–8 ms", VALIDATION, AVG, (40.0, 70.0), (3.0, 8.0)),
    Claim("organisation data 70–110 ms → 12–20 ms", ORGANISATION, AVG, (70.0, 110.0), (12.0, 20.0)),
)


def measured(figures: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a claim row shows of one phase: avg, p50, p95, p99 and the success rate."""
    if not figures:
        return None
    requests = figures.get("requests") or 0
    ok = requests - (figures.get("failures") or 0)
    success = round(100.0 * ok / requests, 2) if requests else None
    shown = {k: figures.get(k) for k in ("avg_ms", "p50_ms", "p95_ms", "p99_ms")}
    return {**shown, "requests": requests, "success_percent": success}


def _figures(run: Mapping[str, Any] | None, endpoint: str) -> Mapping[str, Any] | None:
    if not run:
        return None
    if endpoint == ALL:
        return run.get("aggregated")
    return (run.get("endpoints") or {}).get(endpoint)


def _miss(value: float | None, claimed: tuple[float, float], phase: str, unit: str) -> str | None:
    """None when `value` lies in `claimed`, else which way it missed."""
    low, high = claimed
    if value is None:
        return f"{phase}: not measured"
    if low <= value <= high:
        return None
    side = "below" if value < low else "above"
    return f"{phase} {value:,.4g}{unit} is {side} the claimed {low:g}–{high:g}{unit}"


def evaluate(claim: Claim, before_run, after_run) -> dict[str, Any]:
    before = measured(_figures(before_run, claim.endpoint))
    after = measured(_figures(after_run, claim.endpoint))
    unit = " %" if claim.statistic == "success_percent" else " ms"
    misses = [_miss((after or {}).get(claim.statistic), claim.after, "after", unit)]
    if claim.before is not None:
        misses.insert(0, _miss((before or {}).get(claim.statistic), claim.before, "before", unit))
    missed = [m for m in misses if m]
    in_ms = unit == " ms"
    return {
        "claim": claim.claim,
        "endpoint": claim.endpoint,
        "statistic": claim.statistic,
        "claimed_before_ms": list(claim.before) if claim.before and in_ms else None,
        "claimed_after_ms": list(claim.after) if in_ms else None,
        "claimed_after_percent": list(claim.after) if not in_ms else None,
        "before": before,
        "after": after,
        "holds": not missed,
        "verdict": "holds" if not missed else "; ".join(missed),
    }


def claims(before_run, after_run) -> list[dict[str, Any]]:
    """Each claim against the runs measured (each run: {"aggregated", "endpoints": {path:
    figures}}, or None when the phase has no numbers)."""
    return [evaluate(claim, before_run, after_run) for claim in CLAIMS]
