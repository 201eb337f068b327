"""From `plinto-db bench` options to one BenchRequest (checked before anything connects)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from plinto_db.bench.model import Phase, WriteTarget
from plinto_db.bench.run import BenchRequest
from plinto_db.bench.timing import TimingOptions
from plinto_db.bench.writes import WriteOptions
from plinto_db.check.sqltext import quoted_end
from plinto_db.errors import UserError


@dataclass(frozen=True)
class BenchOptions:
    phases: str = "before,after"
    iterations: int = 200
    warmup: int = 10
    max_seconds: float = 1.0
    statement_timeout: int = 30_000
    only: tuple[str, ...] = ()
    checks: Path | None = None
    indexes: Path | None = None
    write_tables: str | None = None  # None: the default tables, left out when missing
    write_rows: int = 2_000
    write_rounds: int = 3
    pgbench_checks: tuple[str, ...] | None = None
    pgbench_seconds: int = 5
    http: bool = False
    # the HTTP options: None when not given (see http_load for the defaults)
    http_users: int | None = None
    http_spawn_rate: float | None = None
    http_seconds: float | None = None
    http_workers: int | None = None
    http_rps: float | None = None
    http_api_workers: int | None = None
    http_endpoints: tuple[str, ...] = ()
    http_isolate: bool | None = None
    http_isolate_seconds: float | None = None
    scenario: str | None = None
    out: Path | None = None
    yes: bool = False
    allow_activity: bool = False
    jobs: int = 1


def default_out() -> Path:
    return Path("plinto-bench") / datetime.now().strftime("%Y%m%d-%H%M%S")


def parse_phases(text: str) -> tuple[Phase, ...]:
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    try:
        phases = tuple(Phase(n) for n in names)
    except ValueError:
        raise UserError(
            f"--phases {text!r}: give before, after, or before,after (in the order to run)"
        ) from None
    if not phases:
        raise UserError("--phases is empty: give before, after, or before,after")
    twice = next((p for p in phases if phases.count(p) > 1), None)
    if twice is not None:
        raise UserError(
            f"--phases {text!r}: {twice.value} is given twice; each phase runs once "
            "(run bench again to repeat it)"
        )
    return phases


def parse_write_tables(text: str) -> tuple[WriteTarget, ...]:
    """`sessions,"Shop"."A:B":created_at` -> targets, split at `,` and `:` outside double
    quotes; `none` -> no write cost."""
    if not text.strip():
        raise UserError(
            "--write-tables is empty: name the tables, or give none to skip the write cost"
        )
    if text.strip().lower() == "none":
        return ()
    targets = []
    for item in _split_outside_quotes(text, ","):
        parts = [part.strip() for part in _split_outside_quotes(item, ":")]
        if len(parts) > 2 or not all(parts):
            raise UserError(f"--write-tables: expected TABLE or TABLE:COLUMN, got {item!r}")
        column = _column_name(parts[1]) if len(parts) == 2 else None
        targets.append(WriteTarget(parts[0], column))
    return tuple(targets)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """`text` cut at each `separator` that is not inside a double-quoted name."""
    pieces, start, i = [], 0, 0
    while i < len(text):
        if text[i] == '"':
            end = quoted_end(text, i)
            if end < 0:
                raise UserError(f"--write-tables: unterminated quoted name in {text!r}")
            i = end
        elif text[i] == separator:
            pieces.append(text[start:i])
            start = i + 1
        i += 1
    return [*pieces, text[start:]]


def _column_name(text: str) -> str:
    """A column as PostgreSQL reads it: `"Created At"` as written, `Created_At` folded."""
    if len(text) > 1 and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def write_options(options: BenchOptions) -> WriteOptions | None:
    """The write cost asked for: the tables named by --write-tables, else the defaults."""
    if options.write_tables is None:
        return WriteOptions(rows=options.write_rows, rounds=options.write_rounds)
    targets = parse_write_tables(options.write_tables)
    if not targets:
        return None
    return WriteOptions(targets, options.write_rows, options.write_rounds, named=True)


def parse_only(only: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.strip() for item in only for p in item.split(",") if p.strip())


HTTP_OPTIONS = {  # BenchOptions field -> its option
    "http_users": "--http-users",
    "http_spawn_rate": "--http-spawn-rate",
    "http_seconds": "--http-seconds",
    "http_workers": "--http-workers",
    "http_rps": "--http-rps",
    "http_api_workers": "--http-api-workers",
    "http_endpoints": "--http-endpoint",
    "http_isolate": "--http-isolate",
    "http_isolate_seconds": "--http-isolate-seconds",
    "scenario": "--scenario",
}


def _given_http_options(options: BenchOptions) -> list[str]:
    return [flag for name, flag in HTTP_OPTIONS.items() if getattr(options, name) not in (None, ())]


def _or(value, default):
    return default if value is None else value


def http_load(options: BenchOptions, checks_dir: Path):
    """The HTTP level's load, checked in full before anything connects: its numbers, and
    each --http-endpoint against the checks and flows of `checks_dir`. An HTTP option
    without --http is refused (it would be ignored)."""
    if not options.http:
        given = _given_http_options(options)
        if given:
            raise UserError(
                f"{', '.join(given)} without --http: the HTTP options set the HTTP level's "
                "load, which runs only with --http (add it, or leave them out)"
            )
        return None
    try:
        from plinto_db.bench.http import HttpLoad
        from plinto_db.bench.http_scenario import SECONDS, USERS
    except ImportError:
        raise UserError(
            "--http: the HTTP level is not available in this installation "
            "(plinto_db.bench.http is missing)"
        ) from None
    scenario = options.scenario
    load = HttpLoad(
        users=_or(options.http_users, USERS if scenario else 50),
        spawn_rate=_or(options.http_spawn_rate, 50.0),
        seconds=_or(options.http_seconds, SECONDS if scenario else 20.0),
        workers=_or(options.http_workers, 0),
        target_rps=options.http_rps,
        api_workers=_or(options.http_api_workers, 2),
        endpoints=options.http_endpoints,
        isolate=_or(options.http_isolate, not scenario),
        isolate_seconds=_or(options.http_isolate_seconds, 10.0),
        scenario=scenario,
    )
    load.validate()
    if scenario and (options.http_endpoints or options.http_rps is not None):
        raise UserError(
            f"--scenario {scenario} sets its own requests and pace: leave out "
            "--http-endpoint and --http-rps"
        )
    if load.endpoints:
        from plinto_db.bench.http import check_endpoint_names
        from plinto_db.check.workload import load_workload

        check_endpoint_names(load.endpoints, [c.name for c in load_workload(checks_dir)])
    return load


def build_request(
    options: BenchOptions, dsn: str | None, data_dir: Path | None, *, quiet: bool
) -> BenchRequest:
    """Every option checked, then the target resolved (starting the embedded server)."""
    from plinto_db.commands.common import target_dsn
    from plinto_db.pg.connect import describe
    from plinto_db.resources import resolve_dir
    from plinto_db.settings import resolve_target

    phases = parse_phases(options.phases)
    writes = write_options(options)
    if options.pgbench_seconds < 0:
        raise UserError(f"--pgbench-seconds must be 0 or more, got {options.pgbench_seconds}")
    checks_dir = resolve_dir("checks", options.checks)
    indexes_dir = resolve_dir("indexes", options.indexes)
    load = http_load(options, checks_dir)
    embedded = resolve_target(dsn, data_dir).embedded
    target = target_dsn(dsn, data_dir, quiet=quiet)
    out_dir = options.out or default_out()
    return BenchRequest(
        dsn=target,
        checks_dir=checks_dir,
        indexes_dir=indexes_dir,
        out_dir=out_dir,
        phases=phases,
        only=parse_only(options.only),
        timing=TimingOptions(
            iterations=options.iterations,
            warmup=options.warmup,
            max_seconds=options.max_seconds,
            statement_timeout_ms=options.statement_timeout,
        ),
        writes=writes,
        pgbench_checks=options.pgbench_checks,
        pgbench_seconds=options.pgbench_seconds,
        http=load,
        embedded=embedded,
        confirmed=options.yes,
        allow_activity=options.allow_activity,
        jobs=options.jobs,
        where="the embedded server" if embedded else describe(target),
    )
