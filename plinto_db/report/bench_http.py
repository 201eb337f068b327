"""The HTTP level of `plinto-db bench` on a terminal: plain lines from results.json's `http`.

Failures stand next to every requests/s, by status and reason (a 503 from pool exhaustion
says so); the mix is the API as a whole; per-endpoint ratios come from the isolated runs.
"""

from __future__ import annotations

from typing import Any

from plinto_db.bench.stats import format_ms, format_ratio


def rps(value: float | None) -> str:
    """Requests per second: whole numbers from 10 up, one decimal below (1.4 is not 1)."""
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def failures(figures: dict | None) -> str:
    """`0 failed`, or `12 failed: 10 × 503 pool exhausted…; 2 × 500: …`."""
    if not figures:
        return "–"
    failed = figures.get("failures") or 0
    if not failed:
        return "0 failed"
    parts = [f"{f['count']:,} × {f['reason']}" for f in figures.get("failures_by_status") or ()]
    return f"{failed:,} failed" + (": " + "; ".join(parts) if parts else "")


def _phase(figures: dict | None) -> str:
    if not figures:
        return "no numbers"
    return (
        f"{rps(figures.get('rps'))} req/s ({failures(figures)}), avg "
        f"{format_ms(figures.get('avg_ms'))}, p95 {format_ms(figures.get('p95_ms'))}"
    )


def summary(http: dict[str, Any]) -> list[str]:
    lines = [f"http {phase}: no numbers ({error})" for phase, error in http["errors"].items()]
    mix = http.get("mix")
    if mix is not None:
        lines.append(
            f"http mix, the API as a whole ({len(mix['endpoints'])} endpoints, "
            f"{mix['users']} users, {mix['seconds']:g} s): successful requests/s "
            f"{format_ratio(mix['rps_ratio'])}"
        )
        lines.append(f"  before: {_phase(mix['before'])}")
        lines.append(f"  after:  {_phase(mix['after'])}")
        lines.extend(failing_endpoints(mix["endpoints"]))
    isolated = http.get("isolated") or []
    if isolated:
        seconds = isolated[0]["seconds"]
        lines.append(f"http alone (each endpoint by itself, {seconds:g} s per run and phase):")
        for row in isolated:
            before, after = row.get("before"), row.get("after")
            lines.append(
                f"  {format_ratio(row['rps_ratio']):>7}  {row['endpoint']}: "
                f"{rps((before or {}).get('rps'))} → {rps((after or {}).get('rps'))} req/s, "
                f"p50 {format_ms((before or {}).get('p50_ms'))} → "
                f"{format_ms((after or {}).get('p50_ms'))}; "
                f"{failures(before)} → {failures(after)}"
            )
    lines.extend(control_note(http.get("control")))
    lines.extend(_scenario(http.get("scenario")))
    for bug in http.get("bugs") or []:
        lines.append(f"http FAILED (not overload: a bug, the run fails): {bug}")
    return lines


def failing_endpoints(rows: list[dict]) -> list[str]:
    """`    /flow/x: 7.5 → 20 req/s; 25 failed: … → 0 failed` for each endpoint of a run that
    had a failure in either phase (the run's totals alone would hide which one failed)."""
    lines = []
    for row in rows:
        before, after = row.get("before"), row.get("after")
        if (before or {}).get("failures") or (after or {}).get("failures"):
            lines.append(
                f"    {row['endpoint']}: {rps((before or {}).get('rps'))} → "
                f"{rps((after or {}).get('rps'))} req/s; {failures(before)} → {failures(after)}"
            )
    return lines


def _scenario(scenario: dict | None) -> list[str]:
    if scenario is None:
        return []
    lines = [
        f"http scenario {scenario['name']} ({scenario['users']} users, "
        f"{scenario['seconds']:g} s per phase):",
        f"  before: {_phase(scenario['before'])}",
        f"  after:  {_phase(scenario['after'])}",
        *failing_endpoints(scenario["endpoints"]),
    ]
    for claim in scenario["claims"]:
        shown = claim["statistic"].removesuffix("_ms").replace("_percent", " %")
        lines.append(
            f"  {'holds' if claim['holds'] else 'does not hold'}: {claim['claim']}: measured "
            f"{shown} {_figure(claim['before'], claim['statistic'])} → "
            f"{_figure(claim['after'], claim['statistic'])}"
            + ("" if claim["holds"] else f" ({claim['verdict']})")
        )
    return lines


def _figure(figures: dict | None, statistic: str) -> str:
    value = (figures or {}).get(statistic)
    if value is None:
        return "–"
    return f"{value:g} %" if statistic == "success_percent" else format_ms(value)


def control_note(control: dict | None) -> list[str]:
    """A line when the 1x control strayed: the machine, not the catalog, changed between the
    phases, by that factor."""
    if not control or not control["noisy"]:
        return []
    return [
        f"http: NOISY: the 1× control {control['endpoint']} (the same index in both phases) "
        f"read {format_ratio(control['rps_ratio'])}: the machine served the API "
        f"{format_ratio(control['rps_ratio'])} as fast after as before, so every ratio above "
        "carries that factor too (see each run's load average in results.json)"
    ]
