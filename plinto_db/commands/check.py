"""`plinto-db check`: prove with EXPLAIN that every workload query uses the index it needs.

Options -> a CheckRequest -> plinto_db.check.run.run_checks -> a renderer; exit codes.
Heavy imports happen inside the command so `--help` stays fast.
"""

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from plinto_db.commands.common import (
    DataDirOption,
    DsnOption,
    FleetOptions,
    FormatOption,
    run_fleet,
    with_fleet_options,
)
from plinto_db.errors import ExitCode, UserError
from plinto_db.report import OutputFormat

ChecksOption = Annotated[
    Path | None,
    typer.Option("--checks", help="Folder (or one file) of check .sql files. Default: checks/."),
]
IndexesOption = Annotated[
    Path | None,
    typer.Option(
        "--indexes",
        help="Index catalog folder (or file), for names and coverage. Default: indexes/.",
    ),
]
ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        metavar="natural|forced|generic|hypothetical",
        help="natural (the plan chosen on the data present), forced (enable_seqscan=off: "
        "can an index serve it; works on an empty schema), generic (plans for unknown "
        "parameter values), hypothetical (catalog indexes not built yet, via HypoPG).",
    ),
]
AnalyzeOption = Annotated[
    bool,
    typer.Option(
        "--analyze",
        help="Also run EXPLAIN (ANALYZE, BUFFERS): actual time and buffers. Data-changing "
        "queries run in a transaction that is rolled back.",
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="GLOB",
        help="Run only checks whose name matches (glob; repeat or comma-separate).",
    ),
]
JunitOption = Annotated[
    Path | None, typer.Option("--junit", help="Also write a JUnit XML report to this file.")
]
RequireCoverageOption = Annotated[
    bool,
    typer.Option(
        "--require-coverage",
        help="Fail (exit 1) when a catalog index is not proven by any passing check.",
    ),
]
StatementTimeoutOption = Annotated[
    str,
    typer.Option(
        "--statement-timeout",
        metavar="SECONDS",
        help="Per-statement timeout in seconds, or with a unit (500ms, 2s); 0: none. "
        "A bare number is still read as milliseconds for this release, with a warning.",
    ),
]
LockTimeoutOption = Annotated[
    str,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        help="Lock timeout in seconds, or with a unit (500ms, 2s); 0: none. "
        "A bare number is still read as milliseconds for this release, with a warning.",
    ),
]


def register(app: typer.Typer) -> None:
    app.command(
        "check",
        help="Prove with EXPLAIN that each query in checks/ uses the index it needs. "
        "Exit 0 all pass, 1 a check failed (or coverage is required and missing), "
        "2 bad input or an unusable database.",
    )(check)


@with_fleet_options()
def check(
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    checks: ChecksOption = None,
    indexes: IndexesOption = None,
    mode: ModeOption = "natural",
    analyze: AnalyzeOption = False,
    only: OnlyOption = None,
    fmt: FormatOption = OutputFormat.table,
    junit: JunitOption = None,
    require_coverage: RequireCoverageOption = False,
    statement_timeout: StatementTimeoutOption = "30s",
    lock_timeout: LockTimeoutOption = "2s",
    *,
    fleet_options: FleetOptions,
) -> None:
    from plinto_db.check.run import CheckRequest, run_checks, validate
    from plinto_db.report import check as render

    request = CheckRequest(
        dsn=lambda: _dsn(dsn, data_dir),
        checks_path=checks,
        indexes_path=indexes,
        mode=mode,
        analyze=analyze,
        only=_patterns(only),
        statement_timeout_ms=_milliseconds(statement_timeout, "--statement-timeout"),
        lock_timeout_ms=_milliseconds(lock_timeout, "--lock-timeout"),
        require_coverage=require_coverage,
    )
    validate(request)
    fleet = fleet_options()
    if fleet:
        from plinto_db.fleet.jobs import check_job

        _one_database_only(junit=junit)
        run_fleet(check_job(request), fleet, fmt)
    if junit is not None:
        _writable(junit)
    with render.progress(fmt) as tick:
        run = run_checks(replace(request, on_check=tick))
    if fmt == OutputFormat.json:
        render.print_json_report(run)
    elif fmt == OutputFormat.markdown:
        render.print_markdown(run)
    else:
        render.print_table(run)
    if junit is not None:
        render.write_junit(run, junit)
    render.github_annotations(run)
    failed = run.failed or (require_coverage and run.unproven)
    raise typer.Exit(int(ExitCode.FAILED if failed else ExitCode.OK))


def _one_database_only(**options: object) -> None:
    """Reports of one database that a fleet cannot write: refused, not quietly dropped."""
    for name, value in options.items():
        if value:
            raise UserError(f"--{name} is one database's report: with --targets use --log-dir")


def _writable(path: Path) -> None:
    """Refuse an unwritable --junit path before anything runs (not after a long run).

    Missing folders are fine (the report creates them) when the nearest existing one is
    writable.
    """
    import os

    if path.is_dir():
        raise UserError(f"--junit {path}: is a folder; give a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UserError(f"--junit {path}: not writable")
        return
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"--junit {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"--junit {path}: cannot create files in {folder}")


def _milliseconds(text: str, option: str) -> int:
    from plinto_db.commands.durations import seconds

    return round(seconds(text, option, bare_milliseconds=True) * 1000)


def _dsn(dsn: str | None, data_dir: Path | None) -> str:
    from plinto_db.commands.common import target_dsn

    return target_dsn(dsn, data_dir)


def _patterns(only: list[str] | None) -> tuple[str, ...]:
    """--only's names and globs; one that names nothing would quietly run every check."""
    patterns = tuple(p.strip() for item in only or () for p in item.split(",") if p.strip())
    if only and not patterns:
        raise UserError(f"--only {only[0]!r}: give a check name or a glob (e.g. '*sessions*')")
    return patterns
