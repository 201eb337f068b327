"""`plinto-db advise`: candidate indexes for the checks that need one, proven before any build.

Options -> an AdviseRequest -> plinto_db.advise.run.run_advise -> a renderer; exit codes.
"""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db.commands.check import (
    ChecksOption,
    IndexesOption,
    LockTimeoutOption,
    StatementTimeoutOption,
)
from plinto_db.commands.common import DataDirOption, DsnOption, FormatOption
from plinto_db.report import OutputFormat

HELP = (
    "Propose indexes for the checks that fail or read a large table sequentially: candidates "
    "from each parsed query, costed on the real statistics with HypoPG (or --trial-builds), "
    "kept when they cut a query's cost by --min-gain, merged across queries. Never builds "
    "anything: --write gives a catalog file for `apply`. Exit 0 done (also: nothing to add); "
    "2 bad input or an unusable database."
)


WriteOption = Annotated[
    Path | None,
    typer.Option(
        "--write",
        help="Write the proposals as a catalog file (e.g. indexes/50_advised.sql) and name "
        "them in the checks' -- expect: lines.",
    ),
]
KeepExpectationsOption = Annotated[
    bool,
    typer.Option("--keep-expectations", help="With --write: leave the check files alone."),
]
MinGainOption = Annotated[
    float,
    typer.Option(
        "--min-gain", help="Keep a candidate only when it cuts a query's cost by this share."
    ),
]
MinPagesOption = Annotated[
    int,
    typer.Option(
        "--min-pages",
        help="A passing check is advised only when it reads a table of at "
        "least this many pages sequentially.",
    ),
]
TrialBuildsOption = Annotated[
    bool,
    typer.Option(
        "--trial-builds",
        help="Cost what HypoPG cannot (all of it without HypoPG) by building each candidate "
        "in a transaction that is rolled back; blocks writes to its table during the build.",
    ),
]
AllowActivityOption = Annotated[
    bool,
    typer.Option(
        "--allow-activity",
        help="With --trial-builds: run although other sessions use the database.",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace a --write file that advise did not write as is."),
]


def advise(
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    checks: ChecksOption = None,
    indexes: IndexesOption = None,
    write: WriteOption = None,
    keep_expectations: KeepExpectationsOption = False,
    min_gain: MinGainOption = 0.5,
    min_pages: MinPagesOption = 10,
    trial_builds: TrialBuildsOption = False,
    allow_activity: AllowActivityOption = False,
    force: ForceOption = False,
    fmt: FormatOption = OutputFormat.table,
    statement_timeout: StatementTimeoutOption = "30s",
    lock_timeout: LockTimeoutOption = "2s",
) -> None:
    from plinto_db.advise.run import AdviseRequest, run_advise, validate
    from plinto_db.commands.check import _dsn, _milliseconds
    from plinto_db.report import advise as render

    request = AdviseRequest(
        dsn=lambda: _dsn(dsn, data_dir),
        checks_path=checks,
        indexes_path=indexes,
        write=write,
        update_checks=not keep_expectations,
        trial_builds=trial_builds,
        allow_activity=allow_activity,
        min_gain=min_gain,
        min_pages=min_pages,
        force=force,
        statement_timeout_ms=_milliseconds(statement_timeout, "--statement-timeout"),
        lock_timeout_ms=_milliseconds(lock_timeout, "--lock-timeout"),
    )
    validate(request)
    run = run_advise(request)
    if fmt == OutputFormat.json:
        render.print_json_report(run)
    elif fmt == OutputFormat.markdown:
        render.print_markdown(run)
    else:
        render.print_text(run)


def register(app: typer.Typer) -> None:
    app.command("advise", help=HELP)(advise)
