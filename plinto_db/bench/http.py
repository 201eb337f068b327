"""The HTTP level of `plinto-db bench`: the companion API under Locust, one phase at a time.

`run_http_phase` reads the server's start-up facts in this process (so a database that cannot
serve the workload is one line, exit 2), starts the API (`python -m plinto_db.api.runner`) and
Locust headless as subprocesses, and stops both by process group, also on Ctrl-C or failure.
Locust never runs in this process: gevent monkey-patches whatever imports it.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plinto_db.bench import http_locust
from plinto_db.bench.http_procs import Processes, Started, stop, wait_ready
from plinto_db.errors import PlintoError, UserError

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


def run_http_phase(
    dsn: str,
    checks_dir: Path,
    load: HttpLoad,
    out_dir: Path,
    phase: str,
    note: Callable[[str], None] | None = None,
) -> dict:
    """Start the API against `dsn`, drive it headless with Locust, stop both; this phase's
    figures. Raises PlintoError with one line when the API or Locust cannot start or fails."""
    from plinto_db.api.prepare import prepare_state
    from plinto_db.check.workload import load_workload

    load.validate()
    say = note or (lambda _message: None)
    state = prepare_state(dsn, load_workload(checks_dir), checks_dir)
    paths, excluded = select_paths(state, load.endpoints)
    if not paths:
        raise UserError(f"{checks_dir}: no endpoint to load")
    phase_dir = out_dir / f"http-{phase}"
    phase_dir.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="plinto-db-http-"))  # the state file holds the DSN
    try:
        run = _Run(load, phase_dir, private, say)
        figures = run.execute(state, paths)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    offered = load.target_rps
    return {
        "phase": phase,
        **figures,
        "excluded": excluded,
        "load": asdict(load),
        "limits": http_locust.limits(
            closed_loop=offered is None,
            offered_rps=offered,
            workers=load.workers,
            users=load.users,
            spawn_rate=load.spawn_rate,
        ),
    }


class _Run:
    def __init__(self, load: HttpLoad, phase_dir: Path, private: Path, say):
        self.load = load
        self.dir = phase_dir
        self.private = private
        self.say = say

    def execute(self, state, paths: list[str]) -> dict[str, Any]:
        from plinto_db.api.runner import free_port, write_state

        load = self.load
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        state_file = write_state(state, self.private)
        with Processes() as procs:
            api = procs.start("API", self._api_command(state_file, port), self.dir / "api.log")
            wait_ready(api, f"{url}/health", API_READY_SECONDS)
            self.say(
                f"HTTP: {len(paths)} endpoint(s), {load.users} Locust users for "
                f"{load.seconds:g} s"
                + (f" at {load.target_rps:g} requests/s" if load.target_rps else ", no wait")
                + (f", {load.workers} Locust workers" if load.workers else "")
            )
            api_cpu = procs.cpu_seconds(api)
            locust_cpu = _children_cpu_seconds()
            started = time.monotonic()
            prefix = self.dir / "locust"
            self._locust(procs, url, paths, prefix)
            wall = time.monotonic() - started
            api_cpu = procs.cpu_seconds(api) - api_cpu
            locust_cpu = _children_cpu_seconds() - locust_cpu  # Locust's processes, reaped
        stats_file = prefix.with_name(prefix.name + http_locust.FINAL_SUFFIX)
        if not stats_file.exists():  # Locust ended before its quit event: its last periodic CSV
            stats_file = prefix.with_name(prefix.name + "_stats.csv")
        try:
            endpoints, aggregated = http_locust.parse_stats(stats_file)
        except (OSError, ValueError) as exc:
            raise PlintoError(f"Locust left no statistics ({exc})") from None
        if aggregated is None or not aggregated["requests"]:
            raise PlintoError(f"Locust sent no request: see {self.dir / 'locust.log'}")
        return {
            "endpoints": endpoints,
            "aggregated": aggregated,
            "locust_csv": str(stats_file),
            "cpu": {
                "api_cores": round(api_cpu / wall, 2),
                "locust_cores": round(locust_cpu / wall, 2),  # its start-up included
                "wall_seconds": round(wall, 1),
            },
        }

    def _api_command(self, state_file: Path, port: int) -> list[str]:
        import sys

        return [
            sys.executable, "-m", "plinto_db.api.runner",
            "--state", str(state_file),
            "--port", str(port),
            "--workers", str(self.load.api_workers),
            "--pool-size", str(self.load.pool_size),
        ]  # fmt: skip

    def _locust(self, procs: Processes, url: str, paths: list[str], prefix: Path) -> None:
        from plinto_db.api.runner import free_port

        load = self.load
        rate = load.target_rps / load.users if load.target_rps else 0.0
        options = http_locust.run_options(
            host_url=url,
            users=load.users,
            spawn_rate=load.spawn_rate,
            seconds=load.seconds,
            csv_prefix=prefix,
            paths=paths,
            rate_per_user=rate,
        )
        log = self.dir / "locust.log"
        workers: list[Started] = []
        if not load.workers:
            main = procs.start("Locust", http_locust.single_command(options), log)
        else:
            port = free_port()
            command = http_locust.master_command(options, load.workers, port)
            main = procs.start("Locust master", command, log)
            for _ in range(load.workers):
                workers.append(procs.start("Locust worker", http_locust.worker_command(port), log))
        _wait(main, load.seconds + LOCUST_GRACE_SECONDS)
        for worker in workers:  # they quit when the master does
            stop(worker)


def _children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wait(process: Started, timeout: float) -> None:
    try:
        code = process.popen.wait(timeout=timeout)
    except Exception as exc:  # TimeoutExpired; KeyboardInterrupt passes through
        raise PlintoError(f"the {process.name} did not finish within {timeout:g} s") from exc
    if code != 0:
        raise PlintoError(f"the {process.name} failed (exit {code}): {process.last_words()}")
