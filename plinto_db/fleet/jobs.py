"""Each single-database command as a job the fleet runs on one target: its use case, called
as the command calls it, and what the fleet keeps of it (exit code, conclusion, JSON)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from plinto_db.fleet.model import Finished

if TYPE_CHECKING:
    from plinto_db.apply.run import ApplyRequest
    from plinto_db.catalog.spec import IndexSpec
    from plinto_db.check.run import CheckRequest
    from plinto_db.doctor.run import DoctorRequest


class Sink(Protocol):
    def say(self, text: str) -> None: ...

    def report(self, render: Callable[[], None]) -> None: ...


@dataclass(frozen=True)
class Job:
    command: str  # "apply"
    writes: bool  # apply and drop change the database: a replica is skipped
    run: Callable[[str, Sink], Finished]


def _table() -> Any:
    from plinto_db.report import OutputFormat

    return OutputFormat.table


def _events(sink: Sink) -> Any:
    from plinto_db.report.fleet import TargetEvents

    return TargetEvents(sink.say)


def apply_job(request: ApplyRequest) -> Job:
    from plinto_db.apply.run import load
    from plinto_db.resources import resolve_dir

    # a bad catalog is one error before any target connects (and each target's read is cached)
    load(resolve_dir("indexes", request.indexes), list(request.only), list(request.tables))

    def run(dsn: str, sink: Sink) -> Finished:
        from plinto_db.apply.run import run_apply
        from plinto_db.pg.versions import format_version
        from plinto_db.report import apply as render

        result = run_apply(request, lambda: dsn, events=_events(sink), note=sink.say)
        sink.report(lambda: render.render_apply(result, _table()))
        conclusion = render.found_conclusion if result.dry_run else render.apply_conclusion
        return Finished(
            int(result.exit_code),
            format_version(result.server_version),
            conclusion(result),
            render.apply_document(result),
        )

    return Job("apply", True, run)


def drop_job(
    specs: tuple[IndexSpec, ...], tables: list[str] | None, lock_timeout: float, retries: int
) -> Job:
    def run(dsn: str, sink: Sink) -> Finished:
        from plinto_db.apply.drop import drop_catalog
        from plinto_db.apply.executor import ExecOptions
        from plinto_db.pg.versions import format_version
        from plinto_db.report import apply as render

        options = ExecOptions(
            dsn=dsn, lock_timeout=lock_timeout, retries=retries, application_name="plinto-db drop"
        )
        result = drop_catalog(
            dsn, specs, options=options, confirm=lambda names: True, tables=tables,
            events=_events(sink),
        )  # fmt: skip
        sink.report(lambda: render.render_drop(result, _table()))
        document = {**render.apply_document(result), "command": "drop"}
        dropped = sum(1 for a in document["actions"] if a["result"] == "done")
        return Finished(
            int(result.exit_code),
            format_version(result.server_version),
            f"dropped {dropped} index(es)",
            document,
        )

    return Job("drop", True, run)


def status_job(specs: tuple[IndexSpec, ...], tables: list[str] | None) -> Job:
    def run(dsn: str, sink: Sink) -> Finished:
        from plinto_db.apply.status import read_status
        from plinto_db.errors import ExitCode
        from plinto_db.report.status import render_status, status_conclusion

        found = read_status(dsn, specs, tables)
        rows = list(found.rows)
        sink.report(lambda: render_status(rows, _table(), found.server))
        document = {"command": "status", "server_version": found.server, "indexes": rows}
        code = ExitCode.OK if found.all_valid else ExitCode.FAILED
        return Finished(int(code), found.server, status_conclusion(rows), document)

    return Job("status", False, run)


def history_job(limit: int) -> Job:
    def run(dsn: str, sink: Sink) -> Finished:
        from plinto_db.apply.ledger import history
        from plinto_db.pg.connect import connect
        from plinto_db.pg.versions import format_version
        from plinto_db.report.status import render_history

        with connect(dsn, application_name="plinto-db history") as conn:
            server = format_version(conn.info.server_version)
            entries = history(conn, limit)
        sink.report(lambda: render_history(entries, _table()))
        document = {"command": "history", "entries": [e.as_dict() for e in entries]}
        runs = len({e.run_id for e in entries})
        detail = f"{len(entries)} entries from {runs} run(s)" if entries else "no apply recorded"
        return Finished(0, server, detail, document)

    return Job("history", False, run)


def check_job(request: CheckRequest) -> Job:
    from plinto_db.check.workload import load_workload
    from plinto_db.resources import resolve_dir

    load_workload(resolve_dir("checks", request.checks_path))  # file:line errors, once, up front

    def run(dsn: str, sink: Sink) -> Finished:
        from plinto_db.check.run import run_checks
        from plinto_db.errors import ExitCode
        from plinto_db.report import check as render

        checked = run_checks(replace(request, dsn=dsn, on_check=None))
        sink.report(lambda: render.print_table(checked))
        failed = checked.failed or (request.require_coverage and checked.unproven)
        return Finished(
            int(ExitCode.FAILED if failed else ExitCode.OK),
            checked.server.removeprefix("PostgreSQL "),
            render.conclusion(checked).splitlines()[0],
            render.run_document(checked),
        )

    return Job("check", False, run)


def doctor_job(request: DoctorRequest, fail_on: str) -> Job:
    def run(dsn: str, sink: Sink) -> Finished:
        from plinto_db.doctor.model import Severity
        from plinto_db.doctor.run import run_doctor
        from plinto_db.errors import ExitCode
        from plinto_db.report import doctor as render

        result = run_doctor(replace(request, dsn=lambda: dsn))
        sink.report(lambda: render.print_text(result))
        failing = result.failing(Severity(fail_on))
        return Finished(
            int(ExitCode.FAILED if failing else ExitCode.OK),
            result.server.removeprefix("PostgreSQL "),
            render.summary_line(result).removeprefix("doctor: "),
            render.json_document(result),
        )

    return Job("doctor", False, run)
