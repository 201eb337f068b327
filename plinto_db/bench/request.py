"""What a bench is asked to do: one frozen request, read by the use case and its phases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plinto_db.bench.model import FinalState, Phase
from plinto_db.bench.timing import TimingOptions
from plinto_db.bench.writes import WriteOptions


@dataclass(frozen=True)
class BenchRequest:
    dsn: str
    checks_dir: Path
    indexes_dir: Path
    out_dir: Path
    phases: tuple[Phase, ...] = (Phase.BEFORE, Phase.AFTER)
    only: tuple[str, ...] = ()  # check name globs
    timing: TimingOptions = TimingOptions()
    writes: WriteOptions | None = WriteOptions()
    pgbench_checks: tuple[str, ...] | None = None  # None: the default pair (see docs)
    pgbench_seconds: int = 5  # 0: no pgbench cross-check
    http: Any | None = None  # plinto_db.bench.http.HttpLoad
    embedded: bool = False
    confirmed: bool = False  # --yes
    allow_activity: bool = False
    jobs: int = 1
    final: FinalState = FinalState.FOUND
    after_build: Callable[[str], None] | None = None  # the demo's check, between build and timing
    where: str = ""
