"""One catalog's figures, measured the same way for any catalog, so two can stand side by side:
which checks pass (natural mode), how many of its indexes a passing check proves, its size on
disk, bench's write cost (insert and update throughput), and what doctor's redundancy rules
say about its indexes. Used by `demo`'s ending and benchmarks/advise_vs_handwritten.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from plinto_db.bench.model import WritePhase, WriteTarget
from plinto_db.bench.writes import WriteOptions

# the write-heavy tables of an auth service, each updated on a column both catalogs index
WRITE_TARGETS = (WriteTarget("sessions", "expires_at"), WriteTarget("activity_logs", "created_at"))
SIZE_SQL = """
SELECT count(*), coalesce(sum(pg_relation_size(c.oid)), 0)::bigint
FROM pg_class c WHERE c.relkind IN ('i', 'I') AND c.relname = ANY (%s::text[])
"""


@dataclass(frozen=True)
class CatalogFigures:
    label: str
    indexes: int  # built
    bytes: int
    checks: int
    failed: tuple[str, ...]  # checks that do not pass in natural mode
    proven: int  # catalog indexes a passing check uses
    writes: tuple[WritePhase, ...]
    redundant: tuple[str, ...]  # doctor's redundant-index / duplicate-index findings on it

    @property
    def passed(self) -> int:
        return self.checks - len(self.failed)

    def ops(self, table: str, operation: str) -> float | None:
        for phase in self.writes:
            if phase.table.endswith(table) and phase.operation == operation and phase.figure:
                return phase.figure.ops_per_s
        return None


def measure(
    dsn: str,
    label: str,
    checks_dir: Path,
    indexes_dir: Path,
    names: Sequence[str],
    writes: WriteOptions | None = None,
) -> CatalogFigures:
    """The figures of the catalog `names` as built now on `dsn` (`indexes_dir` names every
    index the checks mention, for check's validation); the write cost only with `writes`."""
    from plinto_db.check.judge import Verdict
    from plinto_db.check.run import CheckRequest, run_checks

    run = run_checks(CheckRequest(dsn=dsn, checks_path=checks_dir, indexes_path=indexes_dir))
    failed = tuple(r.check.name for r in run.results if r.verdict is not Verdict.PASS)
    used = {n.index for r in run.results if r.verdict is Verdict.PASS for n in r.nodes if n.index}
    with psycopg.connect(dsn, autocommit=True) as conn:
        count, size = conn.execute(SIZE_SQL, (list(names),)).fetchone()
        phases = write_cost(conn, writes) if writes is not None else ()
        redundant = redundant_findings(conn, set(names))
    return CatalogFigures(
        label=label,
        indexes=int(count),
        bytes=int(size),
        checks=len(run.results),
        failed=failed,
        proven=len(used & set(names)),
        writes=phases,
        redundant=redundant,
    )


def write_cost(conn: psycopg.Connection, options: WriteOptions) -> tuple[WritePhase, ...]:
    from plinto_db.bench.facts import resolve_tables
    from plinto_db.bench.writes import measure_writes

    tables = resolve_tables(conn, [t.table for t in options.targets])
    targets = [(tables[t.table], t, ()) for t in options.targets if tables.get(t.table)]
    return measure_writes(conn, targets, options)


WAL_SQL = "SELECT pg_current_wal_insert_lsn()"


def wal_per_row(conn: psycopg.Connection, options: WriteOptions) -> dict[str, float]:
    """WAL bytes per row of bench's insert and update batches ("table operation" -> bytes),
    each in a transaction rolled back: the index work a write does, without the timing noise
    of a shared machine. A CHECKPOINT first, so every batch pays the same full-page images."""
    from plinto_db.bench import writes
    from plinto_db.bench.facts import resolve_tables

    found: dict[str, float] = {}
    tables = resolve_tables(conn, [t.table for t in options.targets])
    for target in options.targets:
        table = tables.get(target.table)
        if table is None:
            continue
        table_sql = sql.Identifier(table.schema, table.name).as_string(conn)
        columns = [writes.Column(*r) for r in conn.execute(writes.Q_COLUMNS, (table.oid,))]
        unique = [(n, list(k)) for n, k in conn.execute(writes.Q_UNIQUE_KEYS, (table.oid,))]
        column = writes.choose_update_column(columns, set(), (), target.column)
        ctids = conn.execute(
            sql.SQL(writes.Q_CTIDS).format(sql.SQL(table_sql)), (options.rows,)
        ).fetchone()[0]
        batches = {
            "insert": (writes.insert_statement(table_sql, columns, unique), str(options.rows)),
            "update": (writes.update_statement(table_sql, column), ctids or "{}"),
        }
        for operation, (statement, param) in batches.items():
            found[f"{table.qualified} {operation}"] = _wal_bytes(conn, statement, param)
        conn.execute(sql.SQL("VACUUM {}").format(sql.SQL(table_sql)))
    return found


def _wal_bytes(conn: psycopg.Connection, statement: str, param: str) -> float:
    conn.execute("CHECKPOINT")
    with conn.transaction(force_rollback=True):
        start = conn.execute(WAL_SQL).fetchone()[0]
        rows = conn.execute(statement.replace("$1", "%s"), (param,)).rowcount
        end = conn.execute(WAL_SQL).fetchone()[0]
    diff = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)", (end, start)).fetchone()[0]
    return float(diff) / max(rows, 1)


def redundant_findings(conn: psycopg.Connection, names: set[str]) -> tuple[str, ...]:
    """doctor's redundant-index and duplicate-index findings about the indexes `names`."""
    from plinto_db.doctor.checks import duplicate_index, redundant_index
    from plinto_db.doctor.gather import gather
    from plinto_db.doctor.model import Need

    facts = gather(conn, {Need.INDEXES, Need.TABLES})
    findings = (*redundant_index.find(facts), *duplicate_index.find(facts))
    return tuple(f.message for f in findings if f.index is not None and f.index.name in names)
