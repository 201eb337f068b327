"""How a bench tells the outside world where it is (the renderers in report/bench.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from plinto_db.bench.model import Phase


class BenchEvents:
    """Silent by default: what a test or `--format json` gets."""

    def note(self, text: str) -> None:
        pass

    @contextlib.contextmanager
    def build_events(self) -> Iterator[Any]:
        """apply's progress events for a build (None: apply's silent default)."""
        yield None

    @contextlib.contextmanager
    def queries(self, phase: Phase, total: int) -> Iterator[Callable[[str], None]]:
        """A tick per check timed in `phase`."""
        yield lambda name: None
