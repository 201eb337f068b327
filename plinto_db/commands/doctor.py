"""`plinto-db doctor`: index health of a live database, and the indexes a DBA can drop.

Options -> DoctorRequest -> run_doctor (plinto_db.doctor.run) -> a renderer -> the exit code.
The workload (checks/) runs through check's use case, wired in commands/doctor_workload.py
so doctor/ never imports check/. Heavy imports happen inside the command so `--help` stays fast.
"""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from plinto_db.commands.common import (
    DataDirOption,
    DsnOption,
    FleetOptions,
    run_fleet,
    with_fleet_options,
)
from plinto_db.commands.doctor_workload import CheckMode, workload_runner
from plinto_db.errors import ExitCode, UserError

if TYPE_CHECKING:
    pass


class DoctorFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"


def register(app: typer.Typer) -> None:
    app.command(
        "doctor",
        help="Index health of a live database: invalid, duplicate, redundant and unused "
        "indexes, foreign keys without an index, and the DROP INDEX statements worth running "
        "(never run by doctor). Exit 0 clean at --fail-on's level, 1 findings at or above it, "
        "2 bad input or an unusable database.",
    )(doctor)


FormatOption = Annotated[
    DoctorFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
]
FailOnOption = Annotated[
    FailOn,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a finding is at this severity or above.",
        case_sensitive=False,
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option("--only", metavar="CHECK", help="Run only this check (repeatable)."),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option("--exclude", metavar="CHECK", help="Skip this check (repeatable)."),
]
ListChecksOption = Annotated[bool, typer.Option("--list-checks", help="List the checks and exit.")]
SchemaOption = Annotated[
    list[str] | None,
    typer.Option(
        "--schema",
        metavar="NAME",
        help="Only this schema (repeatable). Default: every non-system schema.",
    ),
]
MinStatsAgeOption = Annotated[
    float,
    typer.Option(
        "--min-stats-age",
        metavar="DAYS",
        help="Judge the runtime checks (unused, bloat) only when the statistics cover at "
        "least this many days since their last reset.",
    ),
]
ChecksOption = Annotated[
    Path | None,
    typer.Option(
        "--checks",
        help="Workload folder, for indexes no check proves. Default: as check (./checks, "
        "else the bundled one).",
    ),
]
IndexesOption = Annotated[
    Path | None, typer.Option("--indexes", help="Index catalog folder. Default: as check.")
]
NoChecksOption = Annotated[bool, typer.Option("--no-checks", help="Do not run the workload.")]
CheckModeOption = Annotated[
    CheckMode,
    typer.Option(
        "--check-mode",
        case_sensitive=False,
        help="Mode of the workload run: auto (natural; skipped when the database has no "
        "data or statistics for natural plans), natural, or forced (judged even on an "
        "empty database).",
    ),
]


@with_fleet_options()
def doctor(
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = DoctorFormat.text,
    fail_on: FailOnOption = FailOn.error,
    only: OnlyOption = None,
    exclude: ExcludeOption = None,
    list_checks: ListChecksOption = False,
    schema: SchemaOption = None,
    min_stats_age: MinStatsAgeOption = 7.0,
    checks: ChecksOption = None,
    indexes: IndexesOption = None,
    no_checks: NoChecksOption = False,
    check_mode: CheckModeOption = CheckMode.auto,
    *,
    fleet_options: FleetOptions,
) -> None:
    from plinto_db import report
    from plinto_db.report import doctor as render

    if list_checks:
        _list_checks(fmt)
        return
    from plinto_db.doctor.model import Severity
    from plinto_db.doctor.run import DoctorRequest, run_doctor

    if no_checks and checks is not None:
        raise UserError("--checks and --no-checks contradict each other: give one")
    if checks is not None:  # bad workload files are file:line errors before anything connects
        from plinto_db.check.workload import load_workload
        from plinto_db.resources import resolve_dir

        load_workload(resolve_dir("checks", checks))
    request = DoctorRequest(
        dsn=lambda: _dsn(dsn, data_dir),
        only=tuple(only or ()),
        exclude=tuple(exclude or ()),
        schemas=tuple(schema or ()),
        min_stats_age_days=min_stats_age,
        workload=None if no_checks else workload_runner(checks, indexes, check_mode),
        catalog=_catalog(indexes, checks),
    )
    fleet = fleet_options()
    if fleet:
        from plinto_db.fleet.jobs import doctor_job

        if fmt is DoctorFormat.sarif:
            raise UserError("--format sarif is one database's report: with --targets give json")
        run_fleet(doctor_job(request, fail_on.value), fleet, fmt)
    result = run_doctor(request)
    if fmt is DoctorFormat.json:
        report.print_json(render.json_document(result))
    elif fmt is DoctorFormat.sarif:
        report.print_json(render.sarif_document(result))
    else:
        render.print_text(result)
    if fmt is not DoctorFormat.text:
        report.note(render.summary_line(result))
    failing = result.failing(Severity(fail_on.value))
    raise typer.Exit(int(ExitCode.FAILED if failing else ExitCode.OK))


def _list_checks(fmt: DoctorFormat) -> None:
    from plinto_db import report
    from plinto_db.doctor.registry import CHECKS
    from plinto_db.report import doctor as render

    if fmt is DoctorFormat.text:
        render.write_line(render.checks_table(CHECKS))
        return
    report.print_json(
        [
            {"id": c.id, "severity": c.severity.value, "kind": c.kind.value, "title": c.title,
             "fix": c.fix}
            for c in CHECKS
        ]
    )  # fmt: skip


def _catalog(indexes: Path | None, checks: Path | None) -> tuple[Path, bool] | None:
    """The catalog whose file:line findings may name; as check: your --checks never pair
    with the bundled (Plinto) catalog."""
    from plinto_db.resources import resolve_dir

    if indexes is not None:
        return resolve_dir("indexes", indexes), True
    local = Path.cwd() / "indexes"
    if checks is not None and not (local.is_dir() and any(local.glob("*.sql"))):
        return None
    try:
        return resolve_dir("indexes", None), False
    except UserError:
        return None


def _dsn(dsn: str | None, data_dir: Path | None) -> str:
    from plinto_db.commands.common import target_dsn

    return target_dsn(dsn, data_dir)
