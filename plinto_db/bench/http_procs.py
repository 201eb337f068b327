"""The processes an HTTP phase starts (the API, Locust), and stopping every one of them.

Each process starts in a session of its own (`start_new_session`): a Ctrl-C in the terminal
reaches only us, and stopping a process means signalling its process group, by its id, so
uvicorn's and Locust's own children go with it. Nothing is ever killed by name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from plinto_db.errors import PlintoError

STOP_GRACE_SECONDS = 10.0


class Started:
    def __init__(self, name: str, popen: subprocess.Popen, log: Path):
        self.name = name
        self.popen = popen
        self.log = log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def last_words(self) -> str:
        """The last meaningful line of the process's log, for a one-line error."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "no log"
        meaningful = [line.strip() for line in lines if line.strip()]
        for line in reversed(meaningful):
            if not line.startswith(("Traceback", "File ", "^")):
                return line[-300:]
        return "no output"


class Processes:
    """A context manager that stops, on exit, every process started through it."""

    def __init__(self, env: dict[str, str] | None = None):
        self.env = env
        self.started: list[Started] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(self, name: str, command: Sequence[str], log: Path) -> Started:
        with log.open("ab") as out:
            popen = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        started = Started(name, popen, log)
        self.started.append(started)
        return started

    def stop_all(self) -> None:
        for process in reversed(self.started):
            stop(process)

    def cpu_seconds(self, process: Started) -> float:
        return group_cpu_seconds(process.pid)


def stop(process: Started, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the process group, then SIGKILL to what is left of it after `grace`."""
    group = process.pid  # the group id: the process leads its own session
    if process.popen.poll() is None:
        _signal_group(group, signal.SIGTERM)
        try:
            process.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            process.popen.wait(timeout=grace)
    deadline = time.monotonic() + grace
    while _group_alive(group) and time.monotonic() < deadline:  # children still stopping
        time.sleep(0.05)
    if _group_alive(group):
        _signal_group(group, signal.SIGKILL)


def _signal_group(group: int, sig: signal.Signals) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        pass


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_ready(process: Started, url: str, timeout: float) -> None:
    """Poll `url` until it answers 200; the process ending first is an error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise PlintoError(
                f"the {process.name} stopped at start-up (exit {process.popen.returncode}): "
                f"{process.last_words()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise PlintoError(f"the {process.name} did not answer {url} within {timeout:g} s")


def proc_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/PID/stat after the command name) of each live process:
    state, ppid, pgrp, … utime (11), stime (12), cutime (13), cstime (14). Linux only."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        yield int(entry.name), stat[stat.rfind(")") + 2 :].split()


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of the live processes of a process group (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = sum(
        int(fields[11]) + int(fields[12]) for _, fields in proc_stats() if int(fields[2]) == group
    )
    return total / ticks
