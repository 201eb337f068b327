"""The HTTP level of `plinto-db bench`: the companion API under Locust, one phase at a time.

`run_http_phase` reads the server's start-up facts in this process (so a database that cannot
serve the workload is one line, exit 2), starts the API (`python -m plinto_db.api.runner`) and
Locust headless as subprocesses, and stops both by process group, also on Ctrl-C or failure.
Locust never runs in this process: gevent monkey-patches whatever imports it.

Rooms: this one (the load, which endpoints, the phase), `http_runs` (the Locust runs of a
phase: the mix or the scenario, then each endpoint alone), `http_figures` (failures and
throughput, pure), `http_scenario` (the report's load test and its claims, pure),
`http_document` (results.json's section, pure), `http_locust` and `http_procs` (command lines,
CSV, processes).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plinto_db.bench import http_locust
from plinto_db.bench.http_scenario import SCENARIOS
from plinto_db.errors import UserError

API_READY_SECONDS = 60.0
LOCUST_GRACE_SECONDS = 90.0  # start-up, worker connection and shutdown beyond --run-time


@dataclass(frozen=True)
class HttpLoad:
    users: int = 50  # Locust users
    spawn_rate: float = 50.0
    seconds: float = 20.0  # per run
    workers: int = 0  # 0: one local Locust process; N: a master and N worker processes
    target_rps: float | None = None  # None: closed loop at saturation; a number: offered load
    api_workers: int = 2  # uvicorn worker processes
    endpoints: tuple[str, ...] = ()  # () = every read-only check endpoint and every flow
    pool_size: int = 8  # database connections per API worker
    isolate: bool = True  # one run per endpoint alone, after the mixed run
    isolate_seconds: float = 10.0  # per isolated run
    scenario: str | None = None  # "report": the Plinto report's load test instead of the mix

    def validate(self) -> None:
        """Each number as its bench option, in one line naming the option."""
        problems = [
            (self.users < 1, f"--http-users {self.users}: give 1 or more"),
            (not _positive(self.spawn_rate), f"--http-spawn-rate {self.spawn_rate:g}: {ABOVE_0}"),
            (not _positive(self.seconds), f"--http-seconds {self.seconds:g}: {ABOVE_0}"),
            (self.workers < 0, f"--http-workers {self.workers}: give 0 or more"),
            (self.api_workers < 1, f"--http-api-workers {self.api_workers}: give 1 or more"),
            (self.pool_size < 1, f"pool size must be 1 or more, got {self.pool_size}"),
            (
                not _positive(self.isolate_seconds),
                f"--http-isolate-seconds {self.isolate_seconds:g}: {ABOVE_0}",
            ),
            (
                self.scenario is not None and self.scenario not in SCENARIOS,
                f"--scenario {self.scenario}: give {', '.join(SCENARIOS)}",
            ),
            (
                self.target_rps is not None and not _positive(self.target_rps),
                f"--http-rps {_shown(self.target_rps)}: {ABOVE_0}",
            ),
        ]
        for bad, message in problems:
            if bad:
                raise UserError(message)


ABOVE_0 = "give a number above 0"


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def check_endpoint_names(wanted: Sequence[str], checks: Sequence[str]) -> None:
    """Each --http-endpoint names a check or a flow of this workload: checked before
    anything connects (whether it has start-up values is known only once connected)."""
    from plinto_db.api.flows import available

    flows = [f.value for f in available(set(checks))]
    for name in wanted:
        _endpoint(name, checks, flows)


def _endpoint(name: str, checks: Sequence[str], flows: Sequence[str]) -> tuple[str, str]:
    """`name` as ("check" or "flow", its bare name): a check (`25_sessions_list_mine`), a
    flow (`session-validation`) or a path (`/q/...`, `/flow/...`)."""
    bare = name.strip().strip("/").removeprefix("q/").removeprefix("flow/")
    if bare in checks:
        return "check", bare
    if bare in flows:
        return "flow", bare
    some = ", ".join([*list(checks)[:3], "..."])
    raise UserError(
        f"--http-endpoint {name!r}: no such check or flow (checks: {some}; "
        f"flows: {', '.join(flows) or 'none with these checks'})"
    )


def select_paths(state, wanted: Sequence[str]) -> tuple[list[str], list[dict[str, str]]]:
    """The paths to load, and the endpoints left out of the default set with the reason.

    Names may be a check (`25_sessions_list_mine`), a flow (`session-validation`) or a path.
    By default, statements that write are left out: rolled back or not, each request leaves
    dead rows and index entries behind, differently with and without the catalog.
    """
    checks = {e.name: e for e in state.endpoints}
    if not wanted:
        paths, excluded = [], []
        for endpoint in state.endpoints:
            reason = _unfit(endpoint)
            if reason:
                excluded.append({"name": endpoint.path, "reason": reason})
            else:
                paths.append(endpoint.path)
        return paths + [f"/flow/{f}" for f in state.flows], excluded
    paths = []
    for name in wanted:
        kind, bare = _endpoint(name, list(checks), state.flows)
        if kind == "flow":
            paths.append(f"/flow/{bare}")
        elif checks[bare].defaults is None:
            raise UserError(f"endpoint {name!r} has no start-up values ({checks[bare].source})")
        else:
            paths.append(checks[bare].path)
    return paths, []


def _unfit(endpoint) -> str | None:
    if endpoint.mode.value != "read":
        return "writes (rolled back, but its dead rows would differ before and after)"
    if endpoint.defaults is None:
        return f"no start-up values: {endpoint.source}"
    return None


WINNERS = 3  # the catalog's biggest database-level winners isolated by default
CONTROL = "03_sessions_validate_fast"  # the jti lookup: the same unique index before and after


def winners(checks, queries: dict[str, Any], catalog: set[str]) -> list[str]:
    """The checks a catalog index is expected to serve, slowest first in the phase just timed
    (before the catalog: the ones it has the most to gain on)."""
    timed = []
    for check in checks:
        figures = queries.get(check.name)
        timing = getattr(figures, "timing", None)
        if timing is not None and set(check.index_names()) & catalog:
            timed.append((-timing.p50_ms, check.name))
    return [name for _, name in sorted(timed)]


def isolated_paths(state, load: HttpLoad, ranked: Sequence[str]) -> list[str]:
    """The endpoints run alone: those named by --http-endpoint; else every flow, the first
    WINNERS of `ranked` that can be loaded, and one 1× control (the jti lookup, else the
    fastest loadable check of `ranked`)."""
    if not load.isolate:  # off by default with --scenario (bench_request)
        return []
    if load.endpoints:
        return list(dict.fromkeys(select_paths(state, load.endpoints)[0]))
    fit = {e.name: e.path for e in state.endpoints if _unfit(e) is None}
    chosen = [f"/flow/{f}" for f in state.flows]
    chosen += [fit[n] for n in ranked if n in fit and n != CONTROL][:WINNERS]
    control = CONTROL if CONTROL in fit else next((n for n in reversed(ranked) if n in fit), None)
    if control is not None:
        chosen.append(fit[control])
    return list(dict.fromkeys(chosen))


def run_http_phase(
    dsn: str,
    checks_dir: Path,
    load: HttpLoad,
    out_dir: Path,
    phase: str,
    note: Callable[[str], None] | None = None,
    *,
    isolate: Sequence[str] | None = None,
    ranked: Sequence[str] = (),
) -> dict:
    """Start the API against `dsn`, drive it headless with Locust (the mix, then each isolated
    endpoint alone; or the scenario), stop both; this phase's figures. `isolate`: the paths an
    earlier phase isolated (the same set in both phases), else chosen here from `ranked`.
    Raises PlintoError with one line when the API or Locust cannot start or fails."""
    from plinto_db.api.prepare import prepare_state
    from plinto_db.bench.http_runs import PhaseRuns
    from plinto_db.check.workload import load_workload

    load.validate()
    say = note or (lambda _message: None)
    state = prepare_state(dsn, load_workload(checks_dir), checks_dir)
    paths, excluded = select_paths(state, load.endpoints)
    if not paths:
        raise UserError(f"{checks_dir}: no endpoint to load")
    alone = list(isolate) if isolate is not None else isolated_paths(state, load, ranked)
    phase_dir = out_dir / f"http-{phase}"
    phase_dir.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="plinto-db-http-"))  # the state file holds the DSN
    try:
        figures = PhaseRuns(load, phase_dir, private, say).execute(state, paths, alone)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    offered = load.target_rps
    return {
        "phase": phase,
        **figures,
        "isolated_paths": alone,
        "excluded": excluded if not load.scenario else [],
        "load": asdict(load),
        "limits": http_locust.limits(
            closed_loop=offered is None and not load.scenario,
            offered_rps=offered,
            workers=load.workers,
            users=load.users,
            spawn_rate=load.spawn_rate,
            think_seconds=http_locust.THINK_SECONDS if load.scenario else None,
        ),
    }
