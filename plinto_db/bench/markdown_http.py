"""report.md's HTTP section (pure text): the mix as the API as a whole, each endpoint alone,
the scenario's claims, failures next to every requests/s."""

from __future__ import annotations

from typing import Any

from plinto_db.bench.stats import format_ms, format_ratio
from plinto_db.report.bench_http import control_note, failures, rps


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _figures_row(label: str, figures: dict | None) -> str:
    f = figures or {}
    return (
        f"| {label} | {rps(f.get('rps'))} | {_cell(failures(figures))} | "
        f"{format_ms(f.get('avg_ms'))} | {format_ms(f.get('p50_ms'))} | "
        f"{format_ms(f.get('p95_ms'))} | {format_ms(f.get('p99_ms'))} |"
    )


FIGURES_HEADER = (
    "| | successful req/s | failures | avg | p50 | p95 | p99 |",
    "|---|---:|---|---:|---:|---:|---:|",
)


def _figures_table(run: dict) -> list[str]:
    """A whole run's figures, before and after."""
    return [*FIGURES_HEADER, *(_figures_row(p, run.get(p)) for p in ("before", "after"))]


def http_section(doc: dict[str, Any], locust_limits: str) -> str:
    http = doc["http"]
    lines = ["## HTTP level (Locust through the companion API)", "", locust_limits, ""]
    for phase, error in (http.get("errors") or {}).items():
        lines.append(f"- the {phase} phase has no HTTP numbers: {_cell(error)}")
    for bug in http.get("bugs") or []:
        lines.append(f"- **failed (not overload: a bug; the run exits 1)**: {_cell(bug)}")
    lines += _mix(http.get("mix"))
    lines += _isolated(http.get("isolated") or [])
    for note in control_note(http.get("control")):
        lines += ["", f"**{note.removeprefix('http: ')}**"]
    lines += _scenario(http.get("scenario"), doc)
    limits = http.get("limits") or []
    if limits:
        lines += ["", "Limits of this load:", ""] + [f"- {limit}" for limit in limits]
    return "\n".join(lines)


def _mix(mix: dict | None) -> list[str]:
    if mix is None:
        return []
    lines = [
        "",
        f"### The mix: the API as a whole ({len(mix['endpoints'])} endpoints at random, "
        f"{mix['users']} users, {mix['seconds']:g} s per phase)",
        "",
        "Every endpoint in one run: a slow endpoint slows every other one (its requests "
        "queue behind it), so this is the API's throughput, not any endpoint's speed. "
        f"Successful requests/s after / before: **{format_ratio(mix['rps_ratio'])}**.",
        "",
        *_figures_table(mix),
        "",
        "Per endpoint within the mix (no ratio: see the isolated runs):",
        "",
        "| endpoint | before req/s | before failures | after req/s | after failures |",
        "|---|---:|---|---:|---|",
    ]
    for row in mix["endpoints"]:
        b, a = row.get("before"), row.get("after")
        lines.append(
            f"| {row['endpoint']} | {rps((b or {}).get('rps'))} | {_cell(failures(b))} | "
            f"{rps((a or {}).get('rps'))} | {_cell(failures(a))} |"
        )
    return lines


def _isolated(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    lines = [
        "",
        f"### Each endpoint alone ({rows[0]['seconds']:g} s per run and phase)",
        "",
        "One Locust run per endpoint, nothing else loading the API: its ratio is its own. "
        "Ratios count successful requests only. The last column is the machine's 1-minute "
        "load average as each run ended (on a shared machine, other work takes cores from "
        "the API and PostgreSQL).",
        "",
        "| endpoint | before req/s | after req/s | after / before | before p50 | after p50 "
        "| after p95 | after p99 | failures before | failures after | load before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for row in rows:
        b, a = row.get("before") or {}, row.get("after") or {}
        lines.append(
            f"| {row['endpoint']} | {rps(b.get('rps'))} | {rps(a.get('rps'))} | "
            f"{format_ratio(row.get('rps_ratio'))} | {format_ms(b.get('p50_ms'))} | "
            f"{format_ms(a.get('p50_ms'))} | {format_ms(a.get('p95_ms'))} | "
            f"{format_ms(a.get('p99_ms'))} | {_cell(failures(row.get('before')))} | "
            f"{_cell(failures(row.get('after')))} | {_loads(row.get('load_average'))} |"
        )
    return lines


def _loads(loads: dict | None) -> str:
    """The machine's 1-minute load average at the end of each phase's run."""
    shown = [(loads or {}).get(phase) for phase in ("before", "after")]
    return " → ".join("–" if v is None else f"{v:.1f}" for v in shown)


def _range(values: list | None, unit: str) -> str:
    if not values:
        return "–"
    low, high = values
    return f"{high:g}{unit} at most" if low == 0 else f"{low:g}–{high:g}{unit}"


def _measured(figures: dict | None, statistic: str) -> str:
    if not figures:
        return "–"
    shown = (
        f"avg {format_ms(figures.get('avg_ms'))}, p50 {format_ms(figures.get('p50_ms'))}, "
        f"p95 {format_ms(figures.get('p95_ms'))}, p99 {format_ms(figures.get('p99_ms'))}"
    )
    if statistic == "success_percent":
        return f"{figures.get('success_percent')} % of {figures.get('requests'):,}; {shown}"
    return shown


DATA_TABLES = ("users", "sessions", "organization_members")


def _data(rows: dict[str, int]) -> str:
    """The tables the scenario reads most, with their rows (`public.users 50,000, ...`)."""
    shown = [
        f"{name} {count:,}"
        for name, count in rows.items()
        if name.rsplit(".", 1)[-1] in DATA_TABLES
    ]
    return ", ".join(shown) or "row counts unknown"


def _scenario(scenario: dict | None, doc: dict[str, Any]) -> list[str]:
    if scenario is None:
        return []
    machine, rows = doc.get("machine") or {}, doc.get("rows") or {}
    memory = machine.get("memory_bytes")
    low, high = scenario["think_seconds"]
    lines = [
        "",
        f"### The Plinto report's load test ({scenario['name']}: {scenario['users']} users, "
        f"{scenario['seconds']:g} s per phase)",
        "",
        f"Half the users sign in (`/flow/sign-in`), then make three authenticated requests "
        "(`/flow/session-validation`, `/flow/my-sessions`, `/flow/session-validation`); the "
        "other half read their organisation's dashboard (`/flow/org-dashboard`). Each user "
        f"waits {low:g}–{high:g} s before each request. Machine: {machine.get('cores')} cores"
        + (f", {memory / 2**30:.1f} GiB" if memory else "")
        + f", load {machine.get('load_average')}; data: {_data(rows)}. "
        "A claim holds when the measured figure "
        "lies in the claimed range (better than claimed does not hold either: the number is "
        "not what was measured).",
        "",
        *_figures_table(scenario),
        "",
        "| claim | claimed before | claimed after | measured before | measured after | holds |",
        "|---|---|---|---|---|---|",
    ]
    for c in scenario["claims"]:
        percent = c["statistic"] == "success_percent"
        after = _range(c["claimed_after_percent"] if percent else c["claimed_after_ms"],
                       " %" if percent else " ms")  # fmt: skip
        lines.append(
            f"| {c['claim']} | {_range(c['claimed_before_ms'], ' ms')} | {after} | "
            f"{_measured(c['before'], c['statistic'])} | "
            f"{_measured(c['after'], c['statistic'])} | "
            f"{'yes' if c['holds'] else 'no: ' + _cell(c['verdict'])} |"
        )
    return lines
