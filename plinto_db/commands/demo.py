"""`plinto-db demo`: from nothing to a before/after report, on the embedded server."""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db import report
from plinto_db.commands.common import DataDirOption, FormatOption

HELP = (
    "From nothing to a report, on the embedded PostgreSQL: start it, create the schema, seed "
    "(or reuse data that matches --users), bench with the catalog dropped, apply it (with "
    "progress), check, bench again, conclude, and end with the catalog `advise` writes for the "
    "same checks, side by side with the hand-written one. A second run reuses the data. Always the "
    "embedded server (never --dsn). Exit 0 done; 1 a phase failed or interrupted (the catalog "
    "restored as found); 2 bad input."
)


def demo(
    users: Annotated[
        int, typer.Option("--users", help="Users to seed (other tables scale from it).", min=1)
    ] = 50_000,
    iterations: Annotated[
        int, typer.Option("--iterations", help="Timed executions per query and phase.", min=1)
    ] = 200,
    max_seconds: Annotated[
        float,
        typer.Option("--max-seconds-per-query", help="Time budget per query and phase.", min=0.01),
    ] = 1.0,
    pgbench_seconds: Annotated[
        int,
        typer.Option("--pgbench-seconds", help="pgbench -T per check and phase; 0: none.", min=0),
    ] = 3,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel builds.", min=1)] = 2,
    allow_activity: Annotated[
        bool,
        typer.Option("--allow-activity", help="Run although other sessions use the database."),
    ] = False,
    advise: Annotated[
        bool,
        typer.Option(
            "--advise/--no-advise",
            help="End with the catalog `plinto-db advise` writes for the same checks, measured "
            "the same way, next to the hand-written one (and doctor's findings on both).",
        ),
    ] = True,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Report folder. Default: ./plinto-bench/demo-<timestamp>.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
) -> None:
    from datetime import datetime

    from plinto_db.bench.demo import DemoRequest, run_demo
    from plinto_db.bench.output import out_folder
    from plinto_db.bench.timing import TimingOptions
    from plinto_db.report.bench import events_for, render_demo
    from plinto_db.report.seed import SeedProgress
    from plinto_db.settings import resolve_data_dir

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    request = DemoRequest(
        data_dir=resolve_data_dir(data_dir),
        out_dir=out or Path("plinto-bench") / f"demo-{stamp}",
        users=users,
        timing=TimingOptions(iterations=iterations, max_seconds=max_seconds),
        pgbench_seconds=pgbench_seconds,
        jobs=jobs,
        allow_activity=allow_activity,
        progress=SeedProgress(report.interactive(fmt)),
        advise=advise,
    )
    with out_folder(request.out_dir):
        result = run_demo(request, events_for(fmt))
        render_demo(result, fmt)
    raise typer.Exit(int(result.bench.exit_code))


def register(app: typer.Typer) -> None:
    app.command("demo", help=HELP)(demo)
