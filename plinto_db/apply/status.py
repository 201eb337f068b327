"""The status use case: every catalog index with its state, and the other indexes on the
catalog's tables. Read-only: it changes nothing on the server."""

from __future__ import annotations

from dataclasses import dataclass

from plinto_db.apply.actions import State
from plinto_db.apply.partition_state import attached_leaves, leaves
from plinto_db.apply.plan import classify
from plinto_db.apply.run import inspect
from plinto_db.apply.select import narrow
from plinto_db.apply.state import DatabaseState, is_leftover
from plinto_db.catalog.spec import IndexSpec
from plinto_db.pg.connect import connect
from plinto_db.pg.versions import format_version


@dataclass(frozen=True)
class StatusReport:
    server: str  # e.g. "18.1"
    rows: tuple[dict, ...]

    @property
    def all_valid(self) -> bool:
        return all(r["state"] == "valid" for r in self.rows if r["managed"])


def read_status(
    dsn: str, specs: tuple[IndexSpec, ...], tables: list[str] | None = None
) -> StatusReport:
    with connect(dsn, application_name="plinto-db status") as conn:
        state = inspect(conn, specs)
        specs, state = narrow(conn, specs, state, tables)
        server = format_version(conn.info.server_version)
    return StatusReport(server, tuple(status_rows(specs, state)))


def status_rows(specs: tuple[IndexSpec, ...], state: DatabaseState) -> list[dict]:
    """Every catalog index with its state, then the other indexes on the catalog's tables."""

    rows = []
    names = {s.name for s in specs}
    for spec in specs:
        found, rel, reason = classify(spec, state)
        if found == State.NAME_TAKEN and rel is not None and not reason:
            reason = f"name taken by {rel.kind_name} {rel.qualified}"
        row = {
            "name": spec.name,
            "table": state.tables[spec.name].qualified,
            "state": str(found),
            "managed": True,
            "size_bytes": rel.size_bytes if rel is not None and rel.is_index else None,
            "scans": rel.scans if rel is not None and rel.is_index else None,
            "detail": reason or None,
            "definition": rel.shape.definition if rel is not None and rel.shape else None,
            "file": f"{spec.file}:{spec.line}",
        }
        if state.tables[spec.name].partitioned:
            row.update(_partitioned(spec, found, rel, state))
        rows.append(row)
    table_oids = sorted({t.oid for t in state.tables.values()})
    for oid in table_oids:
        for rel in state.indexes_on(oid):
            if rel.name in names:
                continue
            leftover = is_leftover(rel.name)
            detail = []
            if rel.constraint:
                detail.append(f"backs constraint {rel.constraint}")
            if leftover:
                detail.append("leftover of an interrupted rebuild: apply drops it")
            if not rel.valid:
                detail.append("INVALID")
            rows.append(
                {
                    "name": rel.name,
                    "table": rel.table.qualified if rel.table else "",
                    "state": "leftover" if leftover else "not-in-catalog",
                    "managed": False,
                    "size_bytes": rel.size_bytes,
                    "scans": rel.scans,
                    "detail": "; ".join(detail) or "not in the catalog: apply leaves it alone",
                    "definition": rel.shape.definition if rel.shape else None,
                    "file": None,
                }
            )
    return rows


def _partitioned(spec: IndexSpec, found: State, rel, state: DatabaseState) -> dict:
    """A partitioned index: its partitions' total size and scans, how many are attached.
    An index PostgreSQL created on a partition added later counts like any other (P7)."""
    table = state.tables[spec.name]
    attached = attached_leaves(state, rel if rel is not None and rel.relkind == "I" else None)
    total = len(leaves(state, table))
    done = sum(1 for leaf in attached if leaf.valid)
    out: dict = {"partitions": {"attached": done, "total": total}}
    if attached:
        out["size_bytes"] = sum(leaf.size_bytes for leaf in attached)
        out["scans"] = sum(leaf.scans for leaf in attached)
    if found == State.PARTIAL:
        out["state"] = str(State.BUILDING)
        out["detail"] = f"{done} of {total} partitions attached; apply goes on from there"
    return out
