"""`plinto-db capture`: the workload production runs, from pg_stat_statements, as check files.

Options -> a CaptureRequest -> plinto_db.capture.run.run_capture -> a renderer; exit codes.
Heavy imports happen inside the command so `--help` stays fast.
"""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db.commands.common import DataDirOption, DsnOption, FormatOption
from plinto_db.errors import ExitCode, UserError
from plinto_db.report import OutputFormat

OutOption = Annotated[
    Path,
    typer.Option("--out", help="Folder the check files are written to (created if missing)."),
]
ByOption = Annotated[
    str,
    typer.Option(
        "--by", metavar="total|calls", help="Rank by total execution time (default) or calls."
    ),
]
CoverOption = Annotated[
    str | None,
    typer.Option(
        "--cover",
        metavar="PERCENT",
        help="Keep the biggest statements until they account for this share (default 90%; "
        "with --top alone: no share limit).",
    ),
]
TopOption = Annotated[
    int | None, typer.Option("--top", metavar="N", help="Keep at most N statements.")
]
MinCallsOption = Annotated[
    int, typer.Option("--min-calls", metavar="N", help="Leave out statements called fewer times.")
]
SchemaOption = Annotated[
    list[str] | None,
    typer.Option(
        "--schema",
        metavar="NAME",
        help="Only statements whose main table is in this schema (repeat or comma-separate).",
    ),
]
StatementTimeoutOption = Annotated[
    str,
    typer.Option(
        "--statement-timeout",
        metavar="SECONDS",
        help="Per statement (sample queries and EXPLAIN), in seconds or with a unit; 0: none.",
    ),
]


def register(app: typer.Typer) -> None:
    app.command(
        "capture",
        help="Write the statements pg_stat_statements says matter as check files "
        "(--out checks/captured). Exit 0 done, 2 bad input or pg_stat_statements missing.",
    )(capture)


def capture(
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    out: OutOption = Path("checks/captured"),
    by: ByOption = "total",
    cover: CoverOption = None,
    top: TopOption = None,
    min_calls: MinCallsOption = 1,
    schema: SchemaOption = None,
    fmt: FormatOption = OutputFormat.table,
    statement_timeout: StatementTimeoutOption = "30s",
) -> None:
    from plinto_db.capture.choose import RankBy
    from plinto_db.capture.run import CaptureRequest, run_capture, validate
    from plinto_db.commands.common import target_dsn
    from plinto_db.commands.durations import seconds
    from plinto_db.report import capture as render

    if fmt == OutputFormat.markdown:
        raise UserError("--format markdown: capture writes table or json")
    try:
        rank = RankBy(by.lower())
    except ValueError:
        raise UserError(f"--by {by!r}: choose total or calls") from None
    request = CaptureRequest(
        dsn=lambda: target_dsn(dsn, data_dir),
        out=out,
        by=rank,
        cover=_cover(cover, top),
        top=top,
        min_calls=min_calls,
        schemas=tuple(s.strip() for item in schema or () for s in item.split(",") if s.strip()),
        statement_timeout_ms=round(seconds(statement_timeout, "--statement-timeout") * 1000),
    )
    validate(request)
    run = run_capture(request)
    if fmt == OutputFormat.json:
        render.print_json(run)
    else:
        render.print_text(run)
    raise typer.Exit(int(ExitCode.OK))


def _cover(cover: str | None, top: int | None) -> float | None:
    from plinto_db.capture.choose import parse_cover

    if cover is None:
        return None if top is not None else 0.9
    try:
        return parse_cover(cover)
    except ValueError:
        raise UserError(
            f"--cover {cover!r}: give a share such as 90% (above 0, at most 100%)"
        ) from None
