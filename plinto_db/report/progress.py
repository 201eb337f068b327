"""What apply (and drop) show while they run.

- On a terminal: one live line per running action (its phase, percent and blocks); a
  finished action leaves the live area at once and prints its one `done` line.
- Without a terminal: one line per event, in the order things happened.
- With --format json: nothing (stdout carries the document, stderr stays quiet).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from plinto_db import report


def finished_line(outcome) -> str:
    detail = f": {outcome.detail}" if outcome.detail else ""
    return f"{outcome.name}: {outcome.result} in {outcome.seconds:.1f}s{detail}"


class NoteEvents:
    """One stderr line per event (none when quiet)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def _say(self, text: str) -> None:
        if not self.quiet:
            report.note(text)

    def started(self, action) -> None:
        self._say(f"{action.kind} {action.name} on {action.table}")

    def step(self, action, step) -> None:
        if step is not action.steps[0]:  # the first step is what `started` said
            target = action.table if step.kind == "analyze" else step.qualified or step.index
            self._say(f"{action.name}: {step.kind} {target}")

    def progress(self, action, progress) -> None:
        pass

    def waiting(self, action, blocker, phase) -> None:
        self._say(f"{action.name}: {phase}: waiting for {blocker.describe()}")

    def finished(self, outcome) -> None:
        self._say(finished_line(outcome))


class BarEvents(NoteEvents):
    """A terminal: a live line per running action; finished ones print once and leave."""

    def __init__(self):
        super().__init__()
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bars = Progress(
            TextColumn("{task.fields[name]}", style="bold"),
            BarColumn(bar_width=20),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=report.stderr(),
            transient=True,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> BarEvents:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def started(self, action) -> None:
        self.tasks[action.name] = self.bars.add_task(str(action.kind), total=None, name=action.name)

    def step(self, action, step) -> None:
        task = self.tasks.get(action.name)
        if task is not None:
            self.bars.update(task, description=str(step.kind), total=None, completed=0)

    def progress(self, action, progress) -> None:
        task = self.tasks.get(action.name)
        if task is None:
            return
        text = progress.phase
        if progress.blocks_total:
            text += f", {progress.blocks_done}/{progress.blocks_total} blocks"
        if progress.blockers:
            text += " — waiting for " + progress.blockers[0].describe()
        fraction = progress.fraction
        self.bars.update(
            task,
            description=_escape(text[:100]),
            total=100 if fraction is not None else None,
            completed=(fraction or 0) * 100,
        )

    def waiting(self, action, blocker, phase) -> None:
        self.bars.console.print(
            f"plinto-db: {action.name}: {phase}: waiting for {blocker.describe()}",
            markup=False,
            highlight=False,
        )

    def finished(self, outcome) -> None:
        task = self.tasks.pop(outcome.name, None)
        if task is not None:
            self.bars.remove_task(task)
        self.bars.console.print(
            f"plinto-db: {finished_line(outcome)}", markup=False, highlight=False
        )


@contextmanager
def apply_events(fmt: report.OutputFormat, *, live: bool = True) -> Iterator[NoteEvents]:
    """Live lines on a terminal while `live` work runs; else one line per event on stderr
    (none with --format json)."""
    if live and report.interactive(fmt):
        with BarEvents() as events:
            yield events
    else:
        yield NoteEvents(quiet=fmt == report.OutputFormat.json)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
