"""Rendering `seed`: its progress bar while it loads, and the rows it wrote."""

from __future__ import annotations

from plinto_db import report


class SeedProgress:
    """A bar on stderr while rows load, then a label for each finishing step; a no-op when
    not enabled (no terminal, or --format json)."""

    def __init__(self, enabled: bool, expected: dict[str, int]):
        self.enabled = enabled
        self.expected = dict(expected)
        self._progress = None
        self._task = None

    @property
    def total(self) -> int:
        return sum(self.expected.values())

    def __enter__(self) -> SeedProgress:
        if self.enabled:
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
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def describe(self, table: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=table)

    def recount(self, table: str, rows: int) -> None:
        """The exact row count of a table, once known: the bar's total stays exact."""
        self.expected[table] = rows
        if self._progress is not None:
            self._progress.update(self._task, total=self.total)

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def step(self, label: str) -> None:
        """A step after the rows: the count is complete, the label says what runs now."""
        if self._progress is not None:
            self._progress.update(self._task, description=label, completed=self.total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)


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
        from rich.table import Table

        table = Table(title=f"seeded in {result.seconds:.1f} s", title_justify="left")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, rows in result.rows.items():
            table.add_row(name, f"{rows:,}")
        table.add_row("total", f"{result.total_rows:,}", style="bold")
        report.stdout().print(table)
