"""doctor's workload: check's use case run on the checks/ folder, and what stops it sorted
into a bad workload file (exit 2) or a workload that does not fit this database (a note).
Wired here, outside doctor/, so doctor/ never imports check/.
"""

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from plinto_db.errors import UserError

if TYPE_CHECKING:
    from plinto_db.doctor.workload import WorkloadResult


class CheckMode(StrEnum):
    auto = "auto"
    natural = "natural"
    forced = "forced"


def workload_runner(checks: Path | None, indexes: Path | None, mode: CheckMode):
    def run(dsn: str) -> "WorkloadResult":
        return prove(dsn, checks, indexes, mode)

    return run


class _Unfit(UserError):
    """The workload does not fit this database: a table it names is missing or ambiguous
    here (or, for a workload found by default rather than given with --checks, an index)."""


class _NaturalRefused(UserError):
    """Natural mode would prove nothing here (no statistics, tiny tables); forced mode runs."""


def prove(dsn: str, checks: Path | None, indexes: Path | None, mode: CheckMode) -> "WorkloadResult":
    """check's use case on the workload: which catalog indexes no query's plan uses.

    What stops the workload decides what happens: a bad workload file (a malformed header, a
    query without values; with --checks, an index named neither in the catalog nor in the
    database) is exit 2 in every mode; a workload that does not fit this database, or that
    natural mode cannot judge here, skips unproven-index with a note in auto mode (exit 2
    with --checks in the mode that cannot run it).
    """
    from plinto_db.check.run import CheckRequest, run_checks
    from plinto_db.doctor.workload import from_coverage, unavailable
    from plinto_db.resources import resolve_dir

    try:
        checks_dir = resolve_dir("checks", checks)
    except UserError as exc:
        if checks is not None:
            raise
        return unavailable(f"workload not used: {exc.message}")
    name = "forced" if mode is CheckMode.forced else "natural"

    def fits() -> str:  # check calls it once the workload's files are known to be good
        _preflight(dsn, checks, checks_dir, indexes, natural=name == "natural")
        return dsn

    request = CheckRequest(dsn=fits, checks_path=checks, indexes_path=indexes, mode=name)
    try:
        run = run_checks(request)
    except _Unfit as exc:
        if checks is not None and mode is not CheckMode.auto:
            raise UserError(exc.message) from None
        return unavailable(f"workload not used: {exc.message}")
    except _NaturalRefused as exc:
        if checks is not None and mode is CheckMode.natural:
            raise UserError(f"--checks {checks}: the workload cannot run: {exc.message}") from None
        return unavailable(
            f"workload not used: {exc.message} (--check-mode forced judges it anyway)"
        )
    if run.indexes_dir is None:
        return unavailable("workload ran, but without an index catalog (give --indexes)")
    from plinto_db.catalog.cache import load_catalog_cached

    result = from_coverage(
        run.coverage,
        checks_dir=run.checks_dir,
        mode=name,
        catalog=load_catalog_cached(Path(run.indexes_dir)),
    )
    if run.failed:
        note = f"{result.note}; {len(run.failed)} checks fail (see plinto-db check)"
        result = replace(result, note=note)
    return result


def _preflight(
    dsn: str, checks: Path | None, checks_dir: Path, indexes: Path | None, *, natural: bool
) -> None:
    """Check's own refusals, met before the run so each is told apart: an index named
    nowhere raises UserError (a bad file; _Unfit for a workload found by default, which may
    belong to another database), a table missing or ambiguous here _Unfit, natural mode's
    refusal _NaturalRefused."""
    from plinto_db.check import guard
    from plinto_db.check.catalog import CatalogLoader
    from plinto_db.check.workload import load_workload
    from plinto_db.pg.connect import connect
    from plinto_db.pg.facts import gather_facts

    workload = load_workload(checks_dir)
    loader = CatalogLoader(indexes, bundled=checks is None)  # as run_checks pairs them
    try:
        catalog = loader.get()
    except UserError as exc:
        if indexes is not None:
            raise
        raise _Unfit(f"index catalog not read ({exc.message})") from None
    conn = connect(dsn, application_name="plinto-db doctor")
    try:
        facts = gather_facts(conn)
    finally:
        conn.close()
    index_names = tuple(
        replace(c, expectations=tuple(e for e in c.expectations if e.names_indexes))
        for c in workload
    )
    try:
        guard.validate_names(index_names, catalog, facts, loader.folder)
    except UserError as exc:
        if checks is not None:
            raise
        raise _Unfit(exc.message) from None
    try:
        guard.validate_names(workload, catalog, facts, loader.folder)
    except UserError as exc:
        raise _Unfit(exc.message) from None
    if natural:
        try:
            guard.natural_guard(workload, facts, {spec.name: spec.table for spec in catalog})
        except UserError as exc:
            raise _NaturalRefused(exc.message) from None
