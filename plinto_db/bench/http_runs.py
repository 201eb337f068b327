"""The Locust runs of one HTTP phase against one API process: the mixed run (or the scenario),
then each isolated endpoint alone, the API quiet in between.

Each run leaves `<name>_final_stats.csv` and `<name>_final_failures.csv` in the phase folder;
its figures count successful requests as throughput and carry the failures by status
(http_figures). A failure that is not overload is a bug: listed under `bugs`, which fails the
run.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from plinto_db.bench import http_figures, http_locust
from plinto_db.bench.http_procs import Processes, Started, stop, wait_ready
from plinto_db.bench.http_scenario import USER_CLASSES
from plinto_db.errors import PlintoError

API_READY_SECONDS = 60.0
LOCUST_GRACE_SECONDS = 90.0  # start-up, worker connection and shutdown beyond --run-time
IDLE_SECONDS = 40.0  # at most, waiting for the API's pools to drain between two runs
IDLE_ANSWERS = 4  # consecutive idle /health answers (several workers: each answers for itself)


class PhaseRuns:
    def __init__(self, load, phase_dir: Path, private: Path, say):
        self.load = load
        self.dir = phase_dir
        self.private = private
        self.say = say

    def execute(self, state, paths: list[str], alone: list[str]) -> dict[str, Any]:
        from plinto_db.api.runner import free_port, write_state

        load = self.load
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        state_file = write_state(state, self.private)
        result: dict[str, Any] = {"mix": None, "isolated": [], "scenario": None}
        with Processes() as procs:
            api = procs.start("API", self._api_command(state_file, port), self.dir / "api.log")
            wait_ready(api, f"{url}/health", API_READY_SECONDS)
            if load.scenario:
                self.say(
                    f"HTTP: the {load.scenario} scenario, {load.users} Locust users for "
                    f"{load.seconds:g} s"
                )
                result["scenario"] = self._run(procs, api, url, "scenario", load.seconds, [], True)
            else:
                self.say(
                    f"HTTP: {len(paths)} endpoint(s) mixed, {load.users} Locust users for "
                    f"{load.seconds:g} s"
                    + (f" at {load.target_rps:g} requests/s" if load.target_rps else ", no wait")
                    + (f", {load.workers} Locust workers" if load.workers else "")
                )
                result["mix"] = self._run(procs, api, url, "locust", load.seconds, paths)
            for index, path in enumerate(alone, 1):
                _wait_idle(url, self.say)
                self.say(f"HTTP: {path} alone ({index}/{len(alone)}), {load.isolate_seconds:g} s")
                run = self._run(procs, api, url, _file_name(path), load.isolate_seconds, [path])
                result["isolated"].append({"endpoint": path, **run})
        result["bugs"] = _bugs(result)
        return result

    def _run(
        self,
        procs: Processes,
        api: Started,
        url: str,
        name: str,
        seconds: float,
        paths: list[str],
        scenario: bool = False,
    ) -> dict[str, Any]:
        """One Locust run: its figures, whole and per endpoint, and the CPU it took."""
        api_cpu = procs.cpu_seconds(api)
        locust_cpu = _children_cpu_seconds()
        started = time.monotonic()
        prefix = self.dir / name
        self._locust(procs, url, paths, prefix, seconds, scenario)
        wall = time.monotonic() - started
        api_cpu = procs.cpu_seconds(api) - api_cpu
        locust_cpu = _children_cpu_seconds() - locust_cpu  # Locust's processes, reaped
        endpoints, aggregated = _statistics(prefix, self.dir)
        failures = http_figures.parse_failures(_with(prefix, http_locust.FINAL_FAILURES_SUFFIX))
        return {
            "seconds": seconds,
            "endpoints": {
                e["name"]: http_figures.phase_figures(
                    e, http_figures.of_endpoint(failures, e["name"])
                )
                for e in endpoints
            },
            "aggregated": http_figures.phase_figures(aggregated, failures),
            "locust_csv": str(_with(prefix, http_locust.FINAL_SUFFIX)),
            "cpu": {
                "api_cores": round(api_cpu / wall, 2),
                "locust_cores": round(locust_cpu / wall, 2),  # its start-up included
                "wall_seconds": round(wall, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],  # the machine, after
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

    def _locust(
        self,
        procs: Processes,
        url: str,
        paths: list[str],
        prefix: Path,
        seconds: float,
        scenario: bool,
    ) -> None:
        from plinto_db.api.runner import free_port

        load = self.load
        rate = load.target_rps / load.users if load.target_rps and not scenario else 0.0
        options = http_locust.run_options(
            host_url=url,
            users=load.users,
            spawn_rate=load.spawn_rate,
            seconds=seconds,
            csv_prefix=prefix,
            paths=paths or ["/health"],
            rate_per_user=rate,
            user_classes=USER_CLASSES if scenario else ("ApiUser",),
        )
        log = self.dir / f"{prefix.name}.log"
        workers: list[Started] = []
        if not load.workers:
            main = procs.start("Locust", http_locust.single_command(options), log)
        else:
            port = free_port()
            command = http_locust.master_command(options, load.workers, port)
            main = procs.start("Locust master", command, log)
            for _ in range(load.workers):
                workers.append(procs.start("Locust worker", http_locust.worker_command(port), log))
        _wait(main, seconds + LOCUST_GRACE_SECONDS)
        for worker in workers:  # they quit when the master does
            stop(worker)


def _with(prefix: Path, suffix: str) -> Path:
    return prefix.with_name(prefix.name + suffix)


def _statistics(prefix: Path, folder: Path) -> tuple[list[dict], dict]:
    stats_file = _with(prefix, http_locust.FINAL_SUFFIX)
    if not stats_file.exists():  # Locust ended before its quit event: its last periodic CSV
        stats_file = _with(prefix, "_stats.csv")
    try:
        endpoints, aggregated = http_locust.parse_stats(stats_file)
    except (OSError, ValueError) as exc:
        raise PlintoError(f"Locust left no statistics ({exc})") from None
    if aggregated is None or not aggregated["requests"]:
        raise PlintoError(f"Locust sent no request: see {folder / (prefix.name + '.log')}")
    return endpoints, aggregated


def _file_name(path: str) -> str:
    return "alone-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", path.strip("/"))


def _bugs(result: dict[str, Any]) -> list[str]:
    """`<run> <endpoint>: N × <reason>` for every failure that is not overload."""
    runs = [("mix", result["mix"]), ("scenario", result["scenario"])]
    runs += [(f"{r['endpoint']} alone", r) for r in result["isolated"]]
    found = []
    for label, run in runs:
        for name, figures in ((run or {}).get("endpoints") or {}).items():
            for failure in figures["failures_by_status"]:
                if failure["kind"] == http_figures.ERROR:
                    found.append(f"{label}, {name}: {failure['count']:,} × {failure['reason']}")
    return found


def _wait_idle(url: str, say) -> None:
    """Until the API's pools have nothing in use or waiting (the previous run's requests still
    in flight would load the next one), or IDLE_SECONDS have passed (then say so)."""
    deadline = time.monotonic() + IDLE_SECONDS
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if _idle(url) else 0
        if quiet >= IDLE_ANSWERS:
            return
        time.sleep(0.25)
    say(f"HTTP: the API was still busy after {IDLE_SECONDS:g} s; the next run starts anyway")


def _idle(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            pool = json.loads(response.read()).get("pool") or {}
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False
    # the health check itself holds one connection while it answers
    return not pool.get("requests_waiting") and pool.get("available", 0) >= pool.get("size", 1) - 1


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
