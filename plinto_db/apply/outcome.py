"""What running a plan produces: one Outcome per action, and the events a renderer follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from plinto_db.apply.actions import Action, Step
from plinto_db.apply.progress import Blocker, BuildProgress


class Result(StrEnum):
    SKIPPED = "skipped"
    DONE = "done"
    FAILED = "failed"
    TIMED_OUT = "timed-out"
    BLOCKED = "blocked"
    REFUSED = "refused"
    PLANNED = "planned"  # dry run
    INTERRUPTED = "interrupted"


@dataclass
class Outcome:
    action: Action
    result: Result
    seconds: float = 0.0
    detail: str = ""
    waits: list[Blocker] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # what actually ran
    started: float = 0.0  # wall clock (epoch seconds) when the action started

    @property
    def name(self) -> str:
        return self.action.name

    def add_detail(self, text: str) -> None:
        self.detail = f"{self.detail}; {text}" if self.detail else text


class Events:
    """Callbacks for the renderer: progress bars on a TTY, notes otherwise, nothing in JSON."""

    def started(self, action: Action) -> None: ...
    def step(self, action: Action, step: Step) -> None: ...
    def progress(self, action: Action, progress: BuildProgress) -> None: ...
    def waiting(self, action: Action, blocker: Blocker, phase: str) -> None: ...
    def finished(self, outcome: Outcome) -> None: ...
