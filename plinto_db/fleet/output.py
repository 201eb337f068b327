"""Live output of a fleet: one whole line per target event on stderr, prefixed with the
target's name, never two threads' text in one line; with --log-dir, each target's full
output (its events, then the single command's own report) in LOG_DIR/NAME.log."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from plinto_db.errors import UserError


def prepare_log_dir(log_dir: Path | None) -> None:
    """Made (or refused) before anything connects."""
    if log_dir is None:
        return
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        probe = log_dir / ".plinto-db-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            f"--log-dir {log_dir}: cannot write there ({exc.strerror or exc})"
        ) from None


class LiveLines:
    def __init__(self, names: list[str], *, quiet: bool, log_dir: Path | None):
        self.width = max((len(n) for n in names), default=0)
        self.quiet = quiet
        self.log_dir = log_dir
        self.lock = threading.Lock()

    def sink(self, name: str) -> TargetSink:
        log = None
        if self.log_dir is not None:
            log = (self.log_dir / f"{name}.log").open("w", encoding="utf-8")
        return TargetSink(self, name, log)

    def fleet(self, text: str) -> None:
        """A line about the fleet itself (the canary's verdict, Ctrl-C)."""
        if not self.quiet:
            with self.lock:
                sys.stderr.write(f"plinto-db: {text}\n")
                sys.stderr.flush()


class TargetSink:
    """Where one target's events go: stderr (prefixed) and its log file (as they are)."""

    def __init__(self, lines: LiveLines, name: str, log: IO[str] | None):
        self.lines = lines
        self.name = name
        self.log = log

    def say(self, text: str) -> None:
        prefix = f"{self.name:<{self.lines.width}} | "
        rows = text.splitlines() or [""]
        with self.lines.lock:
            if not self.lines.quiet:
                sys.stderr.write("".join(prefix + row + "\n" for row in rows))
                sys.stderr.flush()
            if self.log is not None:
                stamp = time.strftime("%H:%M:%S")
                self.log.write("".join(f"{stamp} {row}\n" for row in rows))
                self.log.flush()

    def report(self, render: Callable[[], None]) -> None:
        """The single command's own report, into the log file (what it prints to stdout)."""
        if self.log is None:
            return
        with self.lines.lock, contextlib.redirect_stdout(self.log):
            render()
            self.log.flush()

    def close(self) -> None:
        if self.log is not None:
            with self.lines.lock:
                self.log.close()
