"""results.json's `http` section from each phase's HTTP runs (pure).

    {"load", "limits", "errors", "excluded", "bugs",
     "mix": {"seconds", "users", "before", "after", "rps_ratio", "endpoints": [...]} | null,
     "isolated": [{"endpoint", "seconds", "before", "after", "rps_ratio"}],
     "scenario": {"name", "users", "seconds", "think_seconds", "before", "after",
                  "endpoints", "claims": [...]} | null}

`before`/`after` are figures (http_figures.phase_figures): requests, failures, rps (successful
requests/s), sent_rps, avg/p50/p95/p99/max ms and failures_by_status. The mix is the API as a
whole; its per-endpoint rows carry no ratio (queueing behind other endpoints is not an
endpoint's speed): an endpoint's ratio comes from its isolated run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plinto_db.bench.http_figures import pair
from plinto_db.bench.http_scenario import claims

PHASES = ("before", "after")
CONTROL_PATH = "/q/03_sessions_validate_fast"  # bench.http.CONTROL


def http_section(
    runs: Mapping[str, dict | None], errors: Mapping[str, str | None], load: Any
) -> dict[str, Any]:
    measured = {phase: run for phase, run in runs.items() if run is not None}
    first = next(iter(measured.values()), {})
    section: dict[str, Any] = {
        "load": first.get("load", load),
        "limits": first.get("limits", []),
        "errors": dict(errors),
        "excluded": first.get("excluded", []),
        "bugs": [f"{phase}: {bug}" for phase, run in measured.items() for bug in run["bugs"]],
        "mix": _mix(measured),
        "isolated": _isolated(measured),
        "control": None,
        "scenario": _scenario(measured, load),
        "raw": {
            phase: {"cpu": (run.get("mix") or run.get("scenario") or {}).get("cpu")}
            for phase, run in measured.items()
        },
    }
    section["control"] = control(section["isolated"], CONTROL_PATH)
    return section


def _phase_run(measured: Mapping[str, dict], phase: str, key: str) -> dict | None:
    run = measured.get(phase)
    return run.get(key) if run else None


def _endpoint_rows(before: dict | None, after: dict | None) -> list[dict[str, Any]]:
    names = list(dict.fromkeys([*((before or {}).get("endpoints") or {}),
                                *((after or {}).get("endpoints") or {})]))  # fmt: skip
    return [
        {
            "endpoint": name,
            "before": ((before or {}).get("endpoints") or {}).get(name),
            "after": ((after or {}).get("endpoints") or {}).get(name),
        }
        for name in names
    ]


def _mix(measured: Mapping[str, dict]) -> dict[str, Any] | None:
    before, after = (_phase_run(measured, p, "mix") for p in PHASES)
    if before is None and after is None:
        return None
    shown = before or after or {}
    entry = pair((before or {}).get("aggregated"), (after or {}).get("aggregated"))
    return {
        "seconds": shown.get("seconds"),
        "users": (next(iter(measured.values()))["load"] or {}).get("users"),
        **entry,
        "endpoints": _endpoint_rows(before, after),
        "cpu": {p: (r or {}).get("cpu") for p, r in zip(PHASES, (before, after), strict=True)},
    }


def _isolated(measured: Mapping[str, dict]) -> list[dict[str, Any]]:
    by_phase = {
        phase: {run["endpoint"]: run for run in (measured.get(phase) or {}).get("isolated", [])}
        for phase in PHASES
    }
    names = list(dict.fromkeys([*by_phase["before"], *by_phase["after"]]))
    rows = []
    for name in names:
        before, after = by_phase["before"].get(name), by_phase["after"].get(name)
        seconds = (before or after or {}).get("seconds")
        row = pair(_alone(before, name), _alone(after, name), endpoint=name, seconds=seconds)
        row["load_average"] = {p: _load(r) for p, r in (("before", before), ("after", after))}
        rows.append(row)
    return rows


def _load(run: dict | None) -> float | None:
    """The machine's 1-minute load average when the run ended."""
    average = ((run or {}).get("cpu") or {}).get("load_average")
    return average[0] if average else None


CONTROL_BAND = (0.8, 1.25)  # a 1x control outside it: the phases ran on different machines


def control(isolated: list[dict[str, Any]], path: str) -> dict[str, Any] | None:
    """The 1x control's reading: the same index in both phases, so its ratio is the machine's
    capacity after / before, not the catalog's effect."""
    row = next((r for r in isolated if r["endpoint"] == path), None)
    if row is None or row["rps_ratio"] is None:
        return None
    low, high = CONTROL_BAND
    noisy = not low <= row["rps_ratio"] <= high
    return {"endpoint": path, "rps_ratio": row["rps_ratio"], "noisy": noisy}


def _alone(run: dict | None, name: str) -> dict | None:
    if run is None:
        return None
    return (run.get("endpoints") or {}).get(name) or run.get("aggregated")


def _scenario(measured: Mapping[str, dict], load: Any) -> dict[str, Any] | None:
    before, after = (_phase_run(measured, p, "scenario") for p in PHASES)
    name = (load or {}).get("scenario") if isinstance(load, Mapping) else None
    if name is None:
        return None
    from plinto_db.bench.http_locust import THINK_SECONDS

    return {
        "name": name,
        "users": load.get("users"),
        "seconds": load.get("seconds"),
        "think_seconds": list(THINK_SECONDS),
        **pair((before or {}).get("aggregated"), (after or {}).get("aggregated")),
        "endpoints": _endpoint_rows(before, after),
        "claims": claims(before, after),
    }
