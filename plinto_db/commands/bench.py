"""`plinto-db bench`: what the index catalog changes, measured before and after."""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db import report
from plinto_db.commands.common import DataDirOption, DsnOption, FormatOption

HELP = (
    "Measure the workload (checks/) before and after the index catalog: p50/p95/p99 and "
    "buffers per query on prepared statements, write cost, a pgbench cross-check, and with "
    "--http the companion API under Locust. Drops and rebuilds the catalog's indexes, then "
    "restores them as found (also on Ctrl-C): bench a copy, never production. Exit 0 done; "
    "1 a phase failed, the restore failed or interrupted; 2 bad input or a refusal; 4 "
    "another session is building a catalog index."
)
HTTP = "HTTP level (--http)"


def bench(
    phases: Annotated[
        str, typer.Option("--phases", help="before, after, or both in that order.")
    ] = "before,after",
    iterations: Annotated[
        int, typer.Option("--iterations", help="Timed executions per query and phase.", min=1)
    ] = 200,
    warmup: Annotated[
        int, typer.Option("--warmup", help="Untimed executions first, per query and phase.", min=0)
    ] = 10,
    max_seconds: Annotated[
        float,
        typer.Option(
            "--max-seconds-per-query",
            help="Time budget per query and phase (warm-up included); at least 3 timed "
            "executions always run.",
            min=0.01,
        ),
    ] = 1.0,
    statement_timeout: Annotated[
        int,
        typer.Option("--statement-timeout", help="Per execution, milliseconds (0: none).", min=0),
    ] = 30_000,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only", metavar="GLOB", help="Only these checks (repeat or comma-separate)."
        ),
    ] = None,
    checks: Annotated[
        Path | None, typer.Option("--checks", help="Check folder. Default: checks/.")
    ] = None,
    indexes: Annotated[
        Path | None, typer.Option("--indexes", help="Index catalog. Default: indexes/.")
    ] = None,
    write_tables: Annotated[
        str,
        typer.Option(
            "--write-tables",
            metavar="TABLE[:COLUMN],...",
            help="Tables whose insert/update cost is measured; COLUMN is what the update "
            "moves (default: the first timestamp/date/integer/boolean the catalog indexes). "
            "'none' skips the write cost.",
        ),
    ] = "sessions,activity_logs",
    write_rows: Annotated[
        int, typer.Option("--write-rows", help="Rows per insert/update batch.", min=1)
    ] = 2_000,
    write_rounds: Annotated[
        int, typer.Option("--write-rounds", help="Batches per operation (median).", min=1)
    ] = 3,
    pgbench_check: Annotated[
        list[str] | None,
        typer.Option(
            "--pgbench-check",
            help="Check to cross-check with pgbench (repeatable). Default: "
            "03_sessions_validate_fast and 25_sessions_list_mine when present.",
        ),
    ] = None,
    pgbench_seconds: Annotated[
        int,
        typer.Option("--pgbench-seconds", help="pgbench -T per check and phase; 0: no pgbench."),
    ] = 5,
    http: Annotated[
        bool,
        typer.Option(
            "--http",
            help="Also load the companion API with Locust in each phase.",
            rich_help_panel=HTTP,
        ),
    ] = False,
    http_users: Annotated[
        int, typer.Option("--http-users", help="Locust users.", rich_help_panel=HTTP)
    ] = 50,
    http_spawn_rate: Annotated[
        float,
        typer.Option("--http-spawn-rate", help="Users started per second.", rich_help_panel=HTTP),
    ] = 50.0,
    http_seconds: Annotated[
        float,
        typer.Option("--http-seconds", help="Locust run time per phase.", rich_help_panel=HTTP),
    ] = 20.0,
    http_workers: Annotated[
        int,
        typer.Option(
            "--http-workers",
            help="Locust worker processes under one master (0: one local process).",
            rich_help_panel=HTTP,
        ),
    ] = 0,
    http_rps: Annotated[
        float | None,
        typer.Option(
            "--http-rps",
            help="Offered load in requests/s (constant "
            "throughput); default: closed loop at saturation.",
            rich_help_panel=HTTP,
            show_default=False,
        ),
    ] = None,
    http_api_workers: Annotated[
        int,
        typer.Option("--http-api-workers", help="uvicorn worker processes.", rich_help_panel=HTTP),
    ] = 2,
    http_endpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--http-endpoint",
            help="Endpoint to load (repeatable; default: every read-only one).",
            rich_help_panel=HTTP,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Report folder. Default: ./plinto-bench/<timestamp>.", show_default=False
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Go ahead on a server other than the embedded one."),
    ] = False,
    allow_activity: Annotated[
        bool,
        typer.Option("--allow-activity", help="Run although other sessions use the database."),
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel builds.", min=1)] = 1,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
) -> None:
    from plinto_db.bench.cli_request import BenchOptions, build_request

    options = BenchOptions(
        phases=phases,
        iterations=iterations,
        warmup=warmup,
        max_seconds=max_seconds,
        statement_timeout=statement_timeout,
        only=tuple(only or ()),
        checks=checks,
        indexes=indexes,
        write_tables=write_tables,
        write_rows=write_rows,
        write_rounds=write_rounds,
        pgbench_checks=tuple(pgbench_check or ()) or None,
        pgbench_seconds=pgbench_seconds,
        http=http,
        http_users=http_users,
        http_spawn_rate=http_spawn_rate,
        http_seconds=http_seconds,
        http_workers=http_workers,
        http_rps=http_rps,
        http_api_workers=http_api_workers,
        http_endpoints=tuple(http_endpoint or ()),
        out=out,
        yes=yes,
        allow_activity=allow_activity,
        jobs=jobs,
    )
    request = build_request(options, dsn, data_dir, quiet=fmt == report.OutputFormat.json)
    raise typer.Exit(run_and_render(request, fmt))


def run_and_render(request, fmt: report.OutputFormat) -> int:
    """The use case, its folder written, and the chosen rendering; the exit code."""
    from plinto_db.bench.output import write_outputs
    from plinto_db.bench.run import run_bench
    from plinto_db.report.bench import events_for, render_table

    result = run_bench(request, events_for(fmt))
    written = write_outputs(result)
    if fmt == report.OutputFormat.json:
        report.print_json(written.document)
    elif fmt == report.OutputFormat.markdown:
        typer.echo(written.report.read_text())
    else:
        render_table(written.document, str(written.report))
    if written.chart_error:
        report.note(written.chart_error)
    return int(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("bench", help=HELP)(bench)
