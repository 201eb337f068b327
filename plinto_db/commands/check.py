"""`plinto-db check`: prove with EXPLAIN that every workload query uses the index it needs.

Read inputs (checks/, the catalog) -> gather facts from the server (EXPLAIN JSON) -> decide in
pure code -> render. Heavy imports happen inside the command so `--help` stays fast.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from plinto_db.commands.common import DataDirOption, DsnOption, FormatOption
from plinto_db.errors import ExitCode, UserError
from plinto_db.report import OutputFormat

if TYPE_CHECKING:
    from plinto_db.check.coverage import CheckRun


def register(app: typer.Typer) -> None:
    app.command(
        "check",
        help="Prove with EXPLAIN that each query in checks/ uses the index it needs. "
        "Exit 0 all pass, 1 a check failed (or coverage is required and missing), "
        "2 bad input or an unusable database.",
    )(check)


def check(
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    checks: Annotated[
        Path | None,
        typer.Option(
            "--checks", help="Folder (or one file) of check .sql files. Default: checks/."
        ),
    ] = None,
    indexes: Annotated[
        Path | None,
        typer.Option(
            "--indexes",
            help="Index catalog folder (or file), for names and coverage. Default: indexes/.",
        ),
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            metavar="natural|forced|generic|hypothetical",
            help="natural (the plan chosen on the data present), forced (enable_seqscan=off: "
            "can an index serve it; works on an empty schema), generic (plans for unknown "
            "parameter values), hypothetical (catalog indexes not built yet, via HypoPG).",
        ),
    ] = "natural",
    analyze: Annotated[
        bool,
        typer.Option(
            "--analyze",
            help="Also run EXPLAIN (ANALYZE, BUFFERS): actual time and buffers. Data-changing "
            "queries run in a transaction that is rolled back.",
        ),
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="GLOB",
            help="Run only checks whose name matches (glob; repeat or comma-separate).",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write a JUnit XML report to this file.")
    ] = None,
    require_coverage: Annotated[
        bool,
        typer.Option(
            "--require-coverage",
            help="Fail (exit 1) when a catalog index is not proven by any passing check.",
        ),
    ] = False,
    statement_timeout: Annotated[
        int, typer.Option("--statement-timeout", help="Per-statement timeout, milliseconds.")
    ] = 30_000,
    lock_timeout: Annotated[
        int, typer.Option("--lock-timeout", help="Lock timeout, milliseconds.")
    ] = 2_000,
) -> None:
    from plinto_db.report import check as render

    patterns = tuple(p.strip() for item in only or () for p in item.split(",") if p.strip())
    if patterns and require_coverage:
        raise UserError("--require-coverage needs the whole workload: drop --only")
    if junit is not None:
        _writable(junit)
    with render.progress(fmt) as tick:
        run = run_checks(
            checks_path=checks,
            indexes_path=indexes,
            mode_name=mode,
            analyze=analyze,
            only=patterns,
            statement_timeout_ms=statement_timeout,
            lock_timeout_ms=lock_timeout,
            dsn=lambda: _dsn(dsn, data_dir),
            on_check=tick,
            require_coverage=require_coverage,
        )
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


def run_checks(
    *,
    checks_path: Path | None,
    indexes_path: Path | None,
    mode_name: str,
    analyze: bool,
    only: tuple[str, ...],
    statement_timeout_ms: int,
    lock_timeout_ms: int,
    dsn: Callable[[], str],
    on_check: Callable[[str, int], None] | None = None,
    require_coverage: bool = False,
) -> "CheckRun":
    """The use case: load the workload and catalog, EXPLAIN each check, decide, summarise."""
    from plinto_db.check import explain as verify
    from plinto_db.check.workload import load_workload
    from plinto_db.resources import resolve_dir

    try:
        mode = verify.Mode(mode_name.lower())
    except ValueError:
        choices = ", ".join(m.value for m in verify.Mode)
        raise UserError(f"--mode {mode_name!r}: choose one of {choices}") from None
    if analyze and mode in (verify.Mode.GENERIC, verify.Mode.HYPOTHETICAL):
        raise UserError(
            f"--analyze cannot be combined with --mode {mode.value}: "
            + (
                "a generic plan has no parameter values to execute with"
                if mode is verify.Mode.GENERIC
                else "EXPLAIN ANALYZE never sees hypothetical indexes"
            )
        )
    for option, value in (
        ("--statement-timeout", statement_timeout_ms),
        ("--lock-timeout", lock_timeout_ms),
    ):
        if not 0 <= value <= _MAX_TIMEOUT_MS:
            raise UserError(
                f"{option} {value}: give milliseconds from 0 (no limit) to {_MAX_TIMEOUT_MS}"
            )
    checks_dir = resolve_dir("checks", checks_path)
    workload = _select(load_workload(checks_dir), only)
    # your own checks never pair with the bundled (Plinto) catalog: ./indexes or --indexes only
    loader = _CatalogLoader(indexes_path, bundled=checks_path is None)
    if require_coverage and loader.folder is None:
        raise UserError("--require-coverage needs an index catalog: give --indexes")
    if mode is not verify.Mode.GENERIC:
        for item in workload:
            if not item.has_values:
                raise UserError(
                    f"{item.file}:{item.sql_line}: the query uses ${item.param_count} but the "
                    "header gives no `-- params:` or `-- sample:` (add one, or use --mode generic)"
                )
    target = dsn()
    return _run_on_server(
        target, workload, loader, mode, analyze, only, checks_dir,
        statement_timeout_ms, lock_timeout_ms, on_check,
    )  # fmt: skip


@contextmanager
def _lost_connection(conn: Any, target: str) -> Iterator[None]:
    """A server that goes away mid-run makes the database unusable (exit 2), not N errors."""
    import psycopg

    from plinto_db.pg.connect import describe

    try:
        yield
    except psycopg.Error as exc:
        if not (conn.broken or conn.closed):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"lost the connection to {describe(target)} during the run: {text}"
        ) from None


def _run_on_server(
    target: str,
    workload: tuple,
    loader: "_CatalogLoader",
    mode: Any,
    analyze: bool,
    only: tuple[str, ...],
    checks_dir: Path,
    statement_timeout_ms: int,
    lock_timeout_ms: int,
    on_check: Callable[[str, int], None] | None,
) -> "CheckRun":
    from plinto_db.check import coverage as cov
    from plinto_db.check import explain as verify
    from plinto_db.pg.connect import describe, require_server_version
    from plinto_db.pg.facts import gather_facts

    with verify.open_connection(target) as conn, _lost_connection(conn, target):
        version = require_server_version(conn)
        facts = gather_facts(conn)
        unbuilt = {
            n for c in workload for n in c.index_names() if facts.index(n) is None
        }  # named indexes the server lacks: only the catalog can vouch for them
        needs_catalog = bool(unbuilt) or mode is verify.Mode.HYPOTHETICAL
        early = loader.get() if needs_catalog else ()
        _validate_names(workload, early, facts, loader.folder)
        forced: dict[str, str] = {}
        if mode is not verify.Mode.FORCED:
            forced = _natural_guard(workload, facts, {spec.name: spec.table for spec in early})
        roots = {t.name: t.root for t in facts.tables if t.root and t.root != t.name}
        options = verify.RunOptions(
            mode=mode,
            analyze=analyze,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            forced_checks=frozenset(forced),
            forced_reasons=forced,
            index_tables={
                **{spec.name: spec.table for spec in early},
                # a partition's own index competes on the partitioned table it belongs to
                **{index.name: roots.get(index.table, index.table) for index in facts.indexes},
            },
            index_schemas={index.name: index.schema for index in facts.indexes},
            index_roots={i.name: i.root for i in facts.indexes if i.root and i.root != i.name},
        )
        notes: list[str] = []
        aliases: dict[str, str] = {}
        skipped: dict[str, str] = {}
        verify.begin_run(conn, options)
        try:
            if mode is verify.Mode.HYPOTHETICAL:
                from plinto_db.check import hypothetical

                notes.append(hypothetical.ensure_hypopg(conn))
                built = {index.name for index in facts.indexes}
                missing = [spec for spec in early if spec.name not in built]
                aliases, skipped = hypothetical.create_hypothetical(conn, missing)
                notes.append(f"{len(aliases)} catalog index(es) created hypothetically")
            total = len(workload)
            explained = verify.explain_all(
                conn,
                workload,
                options,
                (lambda e: on_check(e.check.name, total)) if on_check else None,
            )
        finally:
            if not conn.closed:
                conn.execute("ROLLBACK")
    catalog, indexes_dir = loader.get(), loader.folder
    names = cov.names_from(facts, aliases)
    results = tuple(
        cov.decide(e, names, facts=facts, catalog=catalog, index_notes=skipped) for e in explained
    )
    present = {index.name for index in facts.indexes} | set(aliases.values())
    if only:
        notes.append("coverage not computed: --only runs part of the workload")
    elif indexes_dir is None:
        notes.append("coverage not computed: no index catalog (give --indexes)")
    return cov.CheckRun(
        mode=mode,
        analyze=analyze,
        server=f"PostgreSQL {version // 10000}.{version % 10000}",
        target=describe(target),
        checks_dir=str(checks_dir),
        indexes_dir=str(indexes_dir) if indexes_dir else None,
        results=results,
        coverage=()
        if only
        else cov.coverage(catalog, results, names, present=present, skipped=skipped),
        notes=tuple(notes),
    )


_MAX_TIMEOUT_MS = 2_147_483_647  # PostgreSQL's limit for statement_timeout and lock_timeout


def _select(workload: tuple, only: tuple[str, ...]) -> tuple:
    if not only:
        return workload
    from fnmatch import fnmatchcase

    chosen = tuple(c for c in workload if any(fnmatchcase(c.name, p) for p in only))
    if not chosen:
        raise UserError(f"--only {', '.join(only)}: no check matches")
    return chosen


class _CatalogLoader:
    """The catalog, parsed in a background thread (CPU) while the main thread waits on the server.

    Without --indexes, a missing indexes/ folder just means no coverage; with --checks but
    without --indexes, only ./indexes is looked at (never the bundled Plinto catalog).
    """

    def __init__(self, path: Path | None, *, bundled: bool = True):
        import threading

        from plinto_db.resources import resolve_dir

        self.folder: Path | None = None
        self._specs: tuple = ()
        self._error: BaseException | None = None
        if path is None and not bundled:
            local = Path.cwd() / "indexes"
            path = local if local.is_dir() and any(local.glob("*.sql")) else None
            if path is None:
                self._thread = threading.Thread(target=self._load, daemon=True)
                return
        try:
            self.folder = resolve_dir("indexes", path)
        except UserError:
            if path is not None:
                raise
        self._thread = threading.Thread(target=self._load, daemon=True)
        if self.folder is not None:
            self._thread.start()

    def _load(self) -> None:
        from plinto_db.catalog.cache import load_catalog_cached

        try:
            assert self.folder is not None
            self._specs = load_catalog_cached(self.folder)
        except BaseException as exc:  # re-raised in the main thread by get()
            self._error = exc

    def get(self) -> tuple:
        if self.folder is None:
            return ()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._specs


def _validate_names(workload: tuple, catalog: tuple, facts, indexes_dir: Path | None) -> None:
    known = {(spec.schema or "public", spec.name) for spec in catalog}
    where = f"the catalog ({indexes_dir})" if indexes_dir else "the catalog (none loaded)"
    for item in workload:
        for expectation in item.expectations:
            for name in expectation.targets:
                schema, _, bare = name.rpartition(".")
                in_catalog = any(
                    n == bare and (not schema or s == schema) for s, n in known
                )  # an index lives in its table's schema
                if expectation.names_indexes:
                    if not in_catalog and facts.index(name) is None:
                        raise UserError(
                            f"{item.file}:{expectation.line}: unknown index {name!r}: "
                            f"neither in {where} nor in the database"
                        )
                elif facts.table(name) is None:
                    raise UserError(
                        f"{item.file}:{expectation.line}: unknown table {name!r}: "
                        "not in the database"
                    )


def _natural_guard(workload: tuple, facts, catalog_tables: dict[str, str]) -> dict[str, str]:
    """Refuse a database without statistics or data; checks on tiny tables run forced."""
    from plinto_db.check import coverage as cov

    unanalyzed = cov.never_analyzed(workload, facts, catalog_tables)
    if unanalyzed:
        more = len(unanalyzed) - 5
        shown = ", ".join(unanalyzed[:5]) + (f" and {more} more" if more > 0 else "")
        raise UserError(
            f"natural mode needs planner statistics, but never analyzed: {shown}. Load data "
            "(e.g. `plinto-db seed --users 50000`) and run ANALYZE, or use --mode forced"
        )
    tiny = {c.name: cov.tiny_tables(c, facts, catalog_tables) for c in workload}
    tiny = {name: tables for name, tables in tiny.items() if tables}
    if tiny and len(tiny) == len(workload):
        raise UserError(
            "natural mode needs realistic data, but every checked table is tiny (under "
            f"{cov.TINY_TABLE_PAGES} pages): seed data (e.g. `plinto-db seed --users 50000`) "
            "and ANALYZE, or use --mode forced"
        )
    return {
        name: "forced: "
        + ", ".join(f"{table} has {pages} page(s)" for table, pages in tables)
        + ", too small for a natural plan to show index use"
        for name, tables in tiny.items()
    }


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


def _dsn(dsn: str | None, data_dir: Path | None) -> str:
    from plinto_db.commands.common import target_dsn

    return target_dsn(dsn, data_dir)
