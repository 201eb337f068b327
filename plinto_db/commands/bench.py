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

PhasesOption = Annotated[
    str, typer.Option("--phases", help="before, after, or both in that order.")
]
IterationsOption = Annotated[
    int, typer.Option("--iterations", help="Timed executions per query and phase.", min=1)
]
WarmupOption = Annotated[
    int, typer.Option("--warmup", help="Untimed executions first, per query and phase.", min=0)
]
MaxSecondsOption = Annotated[
    float,
    typer.Option(
        "--max-seconds-per-query",
        help="Time budget per query and phase (warm-up included); at least 3 timed "
        "executions always run.",
        min=0.01,
    ),
]
StatementTimeoutOption = Annotated[
    str,
    typer.Option(
        "--statement-timeout",
        metavar="SECONDS",
        help="Per execution: seconds, or with a unit (500ms, 30s); 0: none. A bare number is "
        "still read as milliseconds for this release, with a warning.",
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option("--only", metavar="GLOB", help="Only these checks (repeat or comma-separate)."),
]
ChecksOption = Annotated[
    Path | None, typer.Option("--checks", help="Check folder. Default: checks/.")
]
IndexesOption = Annotated[
    Path | None, typer.Option("--indexes", help="Index catalog. Default: indexes/.")
]
WriteTablesOption = Annotated[
    str | None,
    typer.Option(
        "--write-tables",
        metavar="TABLE[:COLUMN],...",
        help="Tables whose insert/update cost is measured; COLUMN is what the update "
        "moves (default: the first timestamp/date/integer/boolean the catalog indexes). "
        "'none' skips the write cost. A default table the database lacks is left out "
        "with a note; a named one is refused.",
        show_default="sessions,activity_logs",
    ),
]
WriteRowsOption = Annotated[
    int, typer.Option("--write-rows", help="Rows per insert/update batch.", min=1)
]
WriteRoundsOption = Annotated[
    int, typer.Option("--write-rounds", help="Batches per operation (median).", min=1)
]
PgbenchCheckOption = Annotated[
    list[str] | None,
    typer.Option(
        "--pgbench-check",
        help="Check to cross-check with pgbench (repeatable). Default: "
        "03_sessions_validate_fast and 25_sessions_list_mine when present.",
    ),
]
PgbenchSecondsOption = Annotated[
    int,
    typer.Option("--pgbench-seconds", help="pgbench -T per check and phase; 0: no pgbench."),
]
HttpOption = Annotated[
    bool,
    typer.Option(
        "--http",
        help="Also load the companion API with Locust in each phase (the --http-* options "
        "and --scenario need it).",
        rich_help_panel=HTTP,
    ),
]
HttpUsersOption = Annotated[
    int | None,
    typer.Option(
        "--http-users",
        help="Locust users. [default: 50; 100 with --scenario report]",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpSpawnRateOption = Annotated[
    float | None,
    typer.Option(
        "--http-spawn-rate",
        help="Users started per second. [default: 50]",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpSecondsOption = Annotated[
    float | None,
    typer.Option(
        "--http-seconds",
        help="Locust run time per phase (the mix, or the scenario). "
        "[default: 20; 300 with --scenario report]",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpWorkersOption = Annotated[
    int | None,
    typer.Option(
        "--http-workers",
        help="Locust worker processes under one master (0: one local process). [default: 0]",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpIsolateOption = Annotated[
    bool | None,
    typer.Option(
        "--http-isolate/--no-http-isolate",
        help="After the mix, run each endpoint alone for its before/after ratio: the "
        "--http-endpoint ones, else the flows, the 3 slowest catalog-served checks and the "
        "jti lookup (a 1x control). [default: on; off with --scenario]",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpIsolateSecondsOption = Annotated[
    float | None,
    typer.Option(
        "--http-isolate-seconds",
        help="Locust run time of each isolated endpoint, per phase. [default: 10]",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
ScenarioOption = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        help="report: the Plinto report's load test (100 users, 300 s, sign-in and "
        "authenticated requests / the organisation dashboard in equal shares) instead of the "
        "mix, with its claims checked.",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpRpsOption = Annotated[
    float | None,
    typer.Option(
        "--http-rps",
        help="Offered load in requests/s (constant "
        "throughput); default: closed loop at saturation.",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpApiWorkersOption = Annotated[
    int | None,
    typer.Option(
        "--http-api-workers",
        help="uvicorn worker processes. [default: 2]",
        rich_help_panel=HTTP,
        show_default=False,
    ),
]
HttpEndpointOption = Annotated[
    list[str] | None,
    typer.Option(
        "--http-endpoint",
        help="Endpoint to load, and run alone (repeatable; default: every read-only one).",
        rich_help_panel=HTTP,
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Report folder. Default: ./plinto-bench/<timestamp>.", show_default=False
    ),
]
YesOption = Annotated[
    bool,
    typer.Option("--yes", "-y", help="Go ahead on a server other than the embedded one."),
]
AllowActivityOption = Annotated[
    bool,
    typer.Option("--allow-activity", help="Run although other sessions use the database."),
]
JobsOption = Annotated[int, typer.Option("--jobs", "-j", help="Parallel builds.", min=1)]


def bench(
    phases: PhasesOption = "before,after",
    iterations: IterationsOption = 200,
    warmup: WarmupOption = 10,
    max_seconds: MaxSecondsOption = 1.0,
    statement_timeout: StatementTimeoutOption = "30s",
    only: OnlyOption = None,
    checks: ChecksOption = None,
    indexes: IndexesOption = None,
    write_tables: WriteTablesOption = None,
    write_rows: WriteRowsOption = 2_000,
    write_rounds: WriteRoundsOption = 3,
    pgbench_check: PgbenchCheckOption = None,
    pgbench_seconds: PgbenchSecondsOption = 5,
    http: HttpOption = False,
    http_users: HttpUsersOption = None,
    http_spawn_rate: HttpSpawnRateOption = None,
    http_seconds: HttpSecondsOption = None,
    http_workers: HttpWorkersOption = None,
    http_rps: HttpRpsOption = None,
    http_api_workers: HttpApiWorkersOption = None,
    http_endpoint: HttpEndpointOption = None,
    http_isolate: HttpIsolateOption = None,
    http_isolate_seconds: HttpIsolateSecondsOption = None,
    scenario: ScenarioOption = None,
    out: OutOption = None,
    yes: YesOption = False,
    allow_activity: AllowActivityOption = False,
    jobs: JobsOption = 1,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
) -> None:
    from plinto_db.bench.output import out_folder
    from plinto_db.commands.bench_request import BenchOptions, build_request, default_out

    options = BenchOptions(
        phases=phases,
        iterations=iterations,
        warmup=warmup,
        max_seconds=max_seconds,
        statement_timeout=_milliseconds(statement_timeout),
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
        http_isolate=http_isolate,
        http_isolate_seconds=http_isolate_seconds,
        scenario=scenario,
        out=out or default_out(),
        yes=yes,
        allow_activity=allow_activity,
        jobs=jobs,
    )
    with out_folder(options.out):
        request = build_request(options, dsn, data_dir, quiet=fmt == report.OutputFormat.json)
        code = run_and_render(request, fmt)
    raise typer.Exit(code)


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


def _milliseconds(text: str) -> int:
    from plinto_db.commands.durations import seconds

    return round(seconds(text, "--statement-timeout", bare_milliseconds=True) * 1000)
