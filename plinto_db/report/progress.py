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


def label(action) -> str:
    """What a live line and a note call an action: a partition's names its catalog index,
    the partition and `n of N`."""
    if action.name == action.catalog_name:
        return action.name
    return f"{action.catalog_name} {action.position} {action.table.rsplit('.', 1)[-1]}"


def finished_line(outcome) -> str:
    detail = f": {outcome.detail}" if outcome.detail else ""
    return f"{label(outcome.action)}: {outcome.result} in {outcome.seconds:.1f}s{detail}"


class NoteEvents:
    """One stderr line per event (none when quiet)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def _say(self, text: str) -> None:
        if not self.quiet:
            report.note(text)

    def started(self, action) -> None:
        if action.name == action.catalog_name:
            self._say(f"{action.kind} {action.name} on {action.table}")
        else:
            self._say(f"{label(action)}: {action.kind} {action.name}")

    def step(self, action, step) -> None:
        if step is not action.steps[0]:  # the first step is what `started` said
            target = action.table if step.kind == "analyze" else step.qualified or step.index
            self._say(f"{label(action)}: {step.kind} {target}")

    def progress(self, action, progress) -> None:
        pass

    def waiting(self, action, blocker, phase) -> None:
        self._say(f"{label(action)}: {phase}: waiting for {blocker.describe()}")

    def finished(self, outcome) -> None:
        self._say(finished_line(outcome))


# "100% " + a 10-cell bar + " " + " 0:00:00 " + a spare cell
FIXED_COLUMNS = 5 + 10 + 1 + 9 + 1


class BarEvents(NoteEvents):
    """A terminal: a live line per running action; finished ones print once and leave."""

    def __init__(self):
        super().__init__()
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Column

        # the percentage and the name are never cut: the phase text gives way (_fit)
        self.bars = Progress(
            TextColumn("{task.percentage:>3.0f}%", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=10),
            TextColumn("{task.fields[name]}", style="bold", table_column=Column(no_wrap=True)),
            TimeElapsedColumn(),
            TextColumn("{task.description}", table_column=Column(no_wrap=True)),
            console=report.stderr(),
            transient=True,
        )
        self.tasks: dict[str, int] = {}
        self.labels: dict[str, int] = {}  # the running actions' label widths

    def __enter__(self) -> BarEvents:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def started(self, action) -> None:
        self.labels[action.name] = len(label(action))
        self.tasks[action.name] = self.bars.add_task(
            str(action.kind), total=None, name=_escape(label(action))
        )

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
            description=_escape(self._fit(text, label(action))),
            total=100 if fraction is not None else None,
            completed=(fraction or 0) * 100,
        )

    def _fit(self, text: str, name: str) -> str:
        """The phase text cut to what the line has left once the percentage, the bar, the
        name and the clock are shown: those are never cut."""
        widest = max([len(name), *self.labels.values()])
        room = self.bars.console.width - widest - FIXED_COLUMNS
        if room < 8:
            return ""
        return text if len(text) <= room else text[: room - 1] + "…"

    def waiting(self, action, blocker, phase) -> None:
        self.bars.console.print(
            f"plinto-db: {label(action)}: {phase}: waiting for {blocker.describe()}",
            markup=False,
            highlight=False,
        )

    def finished(self, outcome) -> None:
        self.labels.pop(outcome.name, None)
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
