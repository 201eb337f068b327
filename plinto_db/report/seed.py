"""Rendering `seed`: its progress bar while it loads, and the rows it wrote."""

from __future__ import annotations

from plinto_db import report
from plinto_db.seed.load import LoadProgress


class SeedProgress(LoadProgress):
    """A bar on stderr from the moment the load knows its rows until it is done, then a label
    for each finishing step; nothing when not enabled (no terminal, or --format json)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.expected: dict[str, int] = {}
        self._progress = None
        self._task = None

    @property
    def total(self) -> int:
        return sum(self.expected.values())

    def __enter__(self) -> SeedProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()

    def expect(self, rows_per_table: dict[str, int]) -> None:
        self.expected = dict(rows_per_table)
        if self.enabled and self._progress is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("seeding {task.description:<26}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=report.stderr(),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total)
        elif self._progress is not None:
            self._progress.update(self._task, total=self.total)

    def recount(self, table: str, rows: int) -> None:
        """The exact row count of a table, once known: the bar's total stays exact."""
        self.expected[table] = rows
        if self._progress is not None:
            self._progress.update(self._task, total=self.total)

    def describe(self, table: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=table)

    def advance(self, rows: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, rows)

    def step(self, label: str) -> None:
        """A step after the rows: the count is complete, the label says what runs now."""
        if self._progress is not None:
            self._progress.update(self._task, description=label, completed=self.total)

    def done(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def render_seed(result, fmt: report.OutputFormat, *, users: int, seed: int, history: int) -> None:
    if fmt == report.OutputFormat.json:
        report.print_json(
            {
                "users": users,
                "seed": seed,
                "history_per_user": history,
                "rows": result.rows,
                "total_rows": result.total_rows,
                "seconds": round(result.seconds, 3),
                "timings": {k: round(v, 3) for k, v in result.timings.items()},
            }
        )
    elif fmt == report.OutputFormat.markdown:
        lines = ["| table | rows |", "|---|---:|"]
        lines += [f"| {name} | {rows} |" for name, rows in result.rows.items()]
        lines.append(f"| **total** | {result.total_rows} |")
        print("\n".join(lines))
        print(f"\nseeded in {result.seconds:.1f} s")
    else:
        from plinto_db.report.layout import Cell, Column, Table, print_table

        table = Table(
            (Column("table", name=True), Column("rows", justify="right", brief=True)),
            title=f"seeded in {result.seconds:.1f} s",
        )
        for name, rows in result.rows.items():
            table.add(name, f"{rows:,}")
        table.add(Cell("total", "bold"), Cell(f"{result.total_rows:,}", "bold"))
        print_table(table)
