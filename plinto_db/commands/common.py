"""Options shared by every command that talks to a database, and resolving them to a DSN."""

import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from plinto_db import report
from plinto_db.settings import resolve_target

DsnOption = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        help="libpq connection string or URL. Default: $PLINTO_DB_DSN, then $DATABASE_URL, "
        "then the embedded server.",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory of the embedded server. Default: $PLINTO_DB_DATA_DIR, then the "
        "user data directory.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    report.OutputFormat,
    typer.Option("--format", help="Output format.", case_sensitive=False),
]

_announced: set[str] = set()


def target_dsn(dsn: str | None, data_dir: Path | None, *, quiet: bool = False) -> str:
    """The DSN to use, starting the embedded server when no DSN is configured.

    Says once on stderr which server the command uses.
    """
    target = resolve_target(dsn, data_dir)
    if target.embedded:
        from plinto_db.server import embedded

        server = embedded.start(target.data_dir, note=(lambda _: None) if quiet else report.note)
        resolved = server.dsn()
        message = f"using the embedded PostgreSQL {server.version} in {target.data_dir}"
    else:
        from plinto_db.pg.connect import describe

        resolved = target.dsn
        message = f"using {describe(resolved)} (from {target.source})"
    if not quiet and resolved not in _announced:
        _announced.add(resolved)
        report.note(message)
    return resolved


# A fleet (docs/fleet.md): the same command on every database of a targets file.
TargetsOption = Annotated[
    Path | None,
    typer.Option(
        "--targets",
        metavar="FILE",
        help="Run on every database of this TOML targets file, one summary (docs/fleet.md).",
        show_default=False,
    ),
]
TargetOption = Annotated[
    list[str] | None,
    typer.Option("--target", metavar="NAME", help="With --targets: only this target (repeatable)."),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tag", metavar="TAG", help="With --targets: only targets with this tag (repeatable)."
    ),
]
ParallelOption = Annotated[
    int | None,
    typer.Option(
        "--parallel",
        metavar="K",
        min=1,
        help="With --targets: databases at a time (default 4); never two runs on one database.",
        show_default=False,
    ),
]
FailFastOption = Annotated[
    bool, typer.Option("--fail-fast", help="With --targets: start no target after one fails.")
]
LogDirOption = Annotated[
    Path | None,
    typer.Option(
        "--log-dir",
        help="With --targets: each target's full output in DIR/NAME.log.",
        show_default=False,
    ),
]
CanaryOption = Annotated[
    int,
    typer.Option(
        "--canary",
        metavar="N",
        min=0,
        help="With --targets: the first N targets first; the others only if they pass.",
    ),
]
CanaryChecksOption = Annotated[
    Path | None,
    typer.Option(
        "--checks",
        help="With --canary: run check with this workload on the canary targets too.",
        show_default=False,
    ),
]


# what a command decorated with_fleet_options takes: fleet_request's answer, when called
FleetOptions = Callable[[], Any]

# (parameter, option, default): what with_fleet_options adds to a command, in --help order
_FLEET_OPTIONS = (
    ("targets", TargetsOption, None),
    ("target_names", TargetOption, None),
    ("tag", TagOption, None),
    ("parallel", ParallelOption, None),
    ("fail_fast", FailFastOption, False),
    ("log_dir", LogDirOption, None),
)
_CANARY_OPTIONS = (("canary", CanaryOption, 0), ("checks", CanaryChecksOption, None))


def with_fleet_options(*, canary: bool = False):
    """Give a command the fleet options (--targets ... --log-dir; with `canary`, --canary and
    --checks too), after its own. The command takes `fleet_options` instead: called where the
    command is ready to check them, it returns fleet_request's answer for them."""

    def wrap(command):
        added = _FLEET_OPTIONS + (_CANARY_OPTIONS if canary else ())
        names = [name for name, _, _ in added]
        signature = inspect.signature(command)
        own = [p for p in signature.parameters.values() if p.name != "fleet_options"]
        extra = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=option
            )
            for name, option, default in added
        ]

        @functools.wraps(command)
        def run(**given):
            options = {name: given.pop(name) for name in names}
            dsn, data_dir = given.get("dsn"), given.get("data_dir")
            return command(**given, fleet_options=lambda: _fleet(options, dsn, data_dir))

        run.__signature__ = signature.replace(parameters=own + extra)
        run.__annotations__ = {
            **{k: v for k, v in command.__annotations__.items() if k != "fleet_options"},
            **{name: option for name, option, _ in added},
        }
        return run

    return wrap


def _fleet(options: dict, dsn: str | None, data_dir: Path | None):
    return fleet_request(
        options["targets"], options["target_names"], options["tag"], options["parallel"],
        options["fail_fast"], options["log_dir"], dsn=dsn, data_dir=data_dir,
        canary=options.get("canary", 0), checks=options.get("checks"),
    )  # fmt: skip


def fleet_request(
    targets: Path | None,
    names: list[str] | None,
    tags: list[str] | None,
    parallel: int | None,
    fail_fast: bool,
    log_dir: Path | None,
    *,
    dsn: str | None,
    data_dir: Path | None,
    canary: int = 0,
    checks: Path | None = None,
):
    """The fleet options as a FleetRequest, or None without --targets (the command runs
    on one database); an option that needs --targets, or contradicts it, is refused."""
    from plinto_db.errors import UserError

    if targets is None:
        given = [
            option
            for option, value in (
                ("--target", names), ("--tag", tags), ("--parallel", parallel),
                ("--fail-fast", fail_fast), ("--log-dir", log_dir), ("--canary", canary),
            )
            if value
        ]  # fmt: skip
        if given:
            raise UserError(f"{given[0]} needs --targets FILE (the databases to run on)")
        if checks is not None:
            raise UserError("--checks is for the canary: give --targets FILE and --canary N")
        return None
    if dsn is not None or data_dir is not None:
        option = "--dsn" if dsn is not None else "--data-dir"
        raise UserError(f"{option} and --targets: give one (the targets file names each database)")
    if checks is not None and not canary:
        raise UserError("--checks checks the canary: give --canary N too")
    from plinto_db.fleet.run import FleetRequest
    from plinto_db.fleet.runner import DEFAULT_PARALLEL

    return FleetRequest(
        targets=targets,
        names=tuple(names or ()),
        tags=tuple(tags or ()),
        parallel=parallel or DEFAULT_PARALLEL,
        canary=canary,
        checks=checks,
        fail_fast=fail_fast,
        log_dir=log_dir,
    )


def run_fleet(job, fleet, fmt, **options) -> None:
    """Run the job on the fleet, then exit with the fleet's code."""
    from plinto_db.fleet.run import run_fleet as run

    raise typer.Exit(run(job, fleet, str(fmt), **options))


def ask_to_drop_on_targets(names: list[str]) -> bool:
    """drop on a fleet asks once, before any target runs (drop alone asks per database)."""
    report.note(
        f"about to DROP INDEX CONCURRENTLY the catalog's indexes on {len(names)} target(s): "
        f"{', '.join(names)}"
    )
    return answered_yes("Drop them? [y/N]: ")


def answered_yes(prompt: str) -> bool:
    """A y/N question on stderr, the answer from stdin (anything but y or yes is no)."""
    # not typer.confirm: it writes the prompt's last character to stdout, before the report
    sys.stderr.write(prompt)
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    if not (sys.stdin.isatty() and answer.endswith("\n")):  # no echo ended the prompt's line
        sys.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")
