"""The fleet use case: read and check everything (the targets file, the variables, the
DSNs, --log-dir) before anything connects, run the job on each target, render one summary.

    code = run_fleet(apply_job(request), FleetRequest(targets=Path("fleet.toml")), "table")
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plinto_db.errors import UserError
from plinto_db.fleet.jobs import Job
from plinto_db.fleet.runner import DEFAULT_PARALLEL, FleetOptions, Runner, database_key
from plinto_db.fleet.targets import Resolved, read_targets, resolve


@dataclass(frozen=True)
class FleetRequest:
    targets: Path
    names: tuple[str, ...] = ()  # --target
    tags: tuple[str, ...] = ()  # --tag
    parallel: int = DEFAULT_PARALLEL
    canary: int = 0
    checks: Path | None = None  # check the canary with this workload
    fail_fast: bool = False
    log_dir: Path | None = None


def chosen_targets(request: FleetRequest) -> tuple[Resolved, ...]:
    """The targets to run, their DSNs read and parsed: every mistake before any connection."""
    from plinto_db.fleet.select import select_targets

    targets = select_targets(read_targets(request.targets), request.names, request.tags)
    resolved = resolve(targets, os.environ)
    for target in resolved:
        try:
            database_key(target.dsn)
        except UserError as exc:
            raise UserError(
                f"{target.target.where}: target {target.name!r}: {exc.message}"
            ) from None
    return resolved


def canary_check(request: FleetRequest, indexes: Path | None) -> Job | None:
    """check's use case on each canary target, its workload read (or refused) up front."""
    if request.checks is None:
        return None
    from plinto_db.check.run import CheckRequest, validate
    from plinto_db.fleet.jobs import check_job

    check = CheckRequest(dsn="", checks_path=request.checks, indexes_path=indexes)
    validate(check)
    return check_job(check)


def run_fleet(
    job: Job,
    request: FleetRequest,
    fmt: str,
    *,
    indexes: Path | None = None,
    confirm: Callable[[list[str]], bool] | None = None,
) -> int:
    """Run `job` on the chosen targets; print the summary in `fmt`; the fleet's exit code."""
    from plinto_db import report
    from plinto_db.fleet.output import LiveLines, prepare_log_dir
    from plinto_db.report.fleet import render_fleet

    output = report.OutputFormat.table if fmt in ("table", "text") else report.OutputFormat(fmt)
    targets = chosen_targets(request)
    check = canary_check(request, indexes)
    prepare_log_dir(request.log_dir)
    writable = [t.name for t in targets if not (job.writes and t.target.replica)]
    if confirm is not None and writable and not confirm(writable):
        raise UserError("not confirmed: nothing was dropped")
    lines = LiveLines(
        [t.name for t in targets], quiet=output == report.OutputFormat.json, log_dir=request.log_dir
    )
    options = FleetOptions(request.parallel, request.canary, request.fail_fast)
    fleet = Runner(job, targets, options, lines, canary_check=check).run()
    render_fleet(fleet, output)
    return fleet.exit_code
