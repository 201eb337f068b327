"""What a partition tree holds for one catalog index, read off the DatabaseState: its
partitions, the indexes attached under its parent index, the state the index is in (P1-P3),
and what PostgreSQL would refuse about it (P5). Pure, like the planner that uses it.
"""

from __future__ import annotations

from collections.abc import Callable

from plinto_db.apply.actions import State
from plinto_db.apply.state import DatabaseState, Partition, Relation, TableRef
from plinto_db.catalog.spec import IndexSpec
from plinto_db.pg.identifiers import quote_ident


def leaves(state: DatabaseState, table: TableRef) -> list[Partition]:
    """The partitions that carry an index: plain tables at any level."""
    return [p for p in state.partitions.get(table.oid, ()) if p.relkind == "r"]


def has_foreign(state: DatabaseState, table: TableRef) -> bool:
    return any(p.relkind == "f" for p in state.partitions.get(table.oid, ()))


def attached_leaves(state: DatabaseState, rel: Relation | None) -> list[Relation]:
    """The plain indexes attached under a partitioned index, all levels down."""
    if rel is None:
        return []
    out: list[Relation] = []
    pending = [rel]
    while pending:
        for child in state.attached_to(pending.pop().oid):
            if child.relkind == "I":
                pending.append(child)
            else:
                out.append(child)
    return out


def classify_tree(
    spec: IndexSpec,
    table: TableRef,
    rel: Relation | None,
    state: DatabaseState,
    compare: Callable[[IndexSpec, Relation, DatabaseState], tuple[State, Relation, str]],
) -> tuple[State, Relation | None, str]:
    """The state of a catalog index on a partitioned table (`rel`: its parent index)."""
    building = _building(state, table)
    if building is not None:
        index, build = building
        phase = f", {build.phase}" if build.phase else ""
        return State.BUILDING, rel, f"{index} being built by pid {build.pid}{phase}"
    if rel is None:
        return State.MISSING, None, ""
    if not rel.valid:
        done = sum(1 for leaf in attached_leaves(state, rel) if leaf.valid)
        return State.PARTIAL, rel, f"{done} of {len(leaves(state, table))} partitions"
    found, rel, reason = compare(spec, rel, state)
    if found != State.VALID:
        return found, rel, reason
    drifted = _drifted_partitions(spec, rel, state)
    if drifted:
        return State.DRIFTED, rel, "; ".join(drifted)
    return State.VALID, rel, ""


def _drifted_partitions(spec: IndexSpec, rel: Relation, state: DatabaseState) -> list[str]:
    desired = state.desired.get(spec.name)
    if desired is None:
        return []
    out = []
    for leaf in attached_leaves(state, rel):
        if leaf.shape is not None and leaf.shape != desired:
            why = ", ".join(leaf.shape.differences(desired))
        elif leaf.shape is None and leaf.reloptions != desired.reloptions:
            why = "storage parameters differ"  # all ATTACH does not compare (P3)
        else:
            continue
        out.append(f"partition index {leaf.qualified} on {leaf.table.qualified}: {why}")
    return out


def _building(state: DatabaseState, table: TableRef) -> tuple[str, object] | None:
    """A CREATE INDEX another session runs on one of the tree's partitions (F5)."""
    if not state.builds:
        return None
    oids = {p.oid for p in state.partitions.get(table.oid, ())}
    by_oid = {r.oid: r for oid in oids for r in state.indexes_on(oid)}
    for build in state.builds:
        if build.table_oid in oids:
            index = by_oid.get(build.index_oid)
            return (index.qualified if index else "a partition's index"), build
    return None


def building_relation(state: DatabaseState, table: TableRef) -> Relation | None:
    """The partition index another session builds, for the executor to wait on."""
    oids = {p.oid: p for p in state.partitions.get(table.oid, ())}
    for build in state.builds:
        part = oids.get(build.table_oid)
        if part is None:
            continue
        for rel in state.indexes_on(part.oid):
            if rel.oid == build.index_oid:
                return rel
        ref = part.as_table()
        return Relation(build.index_oid or 0, part.schema, "", "i", ref, False, False, True,
                        None, 0, 0)  # fmt: skip
    return None


def refusals(specs: tuple[IndexSpec, ...], state: DatabaseState) -> list[str]:
    """What PostgreSQL would refuse about the catalog's partitioned indexes (P5), every
    offending entry at once, before anything runs."""
    out = []
    for spec in specs:
        table = state.tables[spec.name]
        if not table.partitioned:
            continue
        where = f"{spec.location}: index {spec.name!r} on partitioned table {table.qualified}"
        if spec.unique:
            missing = _missing_key_columns(spec, table, state)
            if missing:
                out.append(
                    f"{where}: a unique index on a partitioned table must include every "
                    f"partition-key column; it lacks {', '.join(missing)}"
                )
            foreign = [p.qualified for p in state.partitions[table.oid] if p.relkind == "f"]
            if foreign:
                out.append(
                    f"{where}: a unique index cannot be created where a partition is a "
                    f"foreign table ({', '.join(foreign)})"
                )
        rel = state.relation(table.schema, spec.name)
        if rel is not None and rel.relkind == "I" and not rel.valid and has_foreign(state, table):
            out.append(
                f"{where}: its ON ONLY index is invalid and never turns valid with a "
                "foreign-table partition; drop it (plinto-db drop --only "
                f"{spec.name}) and apply again"
            )
    return out


def _missing_key_columns(spec: IndexSpec, table: TableRef, state: DatabaseState) -> list[str]:
    keys = {key.column for key in spec.keys if key.column is not None}
    levels = [table.partition_key or ()] + [
        p.key for p in state.partitions.get(table.oid, ()) if p.relkind == "p"
    ]
    missing: list[str] = []
    for key in levels:
        for column in key:
            text = "a partition-key expression" if column is None else quote_ident(column)
            if (column is None or column not in keys) and text not in missing:
                missing.append(text)
    return missing
