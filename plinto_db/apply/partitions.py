"""A catalog index on a partitioned table, planned as PostgreSQL documents it (P1-P5).

Pure: reads the DatabaseState, returns ordinary actions whose steps are the SQL apply runs
and --dry-run prints. The parent gets `CREATE INDEX name ON ONLY parent` (instant, invalid);
each partition gets its index built concurrently, or an existing valid index of the same
definition reused, then `ALTER INDEX ... ATTACH PARTITION`; a sub-partitioned partition
gets its own ON ONLY index, attached to its parent's, with its leaves under it (P2). The
parent turns valid when its last partition is attached. What is attached already is left
alone, so a re-run after any interruption goes on where the last one stopped.

A tree with a foreign-table partition never turns an ON ONLY index valid (P5): there the
partitions' indexes are built concurrently first and one plain `CREATE INDEX` on the
parent attaches them all and skips the foreign tables (P4).
"""

from __future__ import annotations

import hashlib

from plinto_db.apply.actions import Action, ActionKind, NameTaken, State, Step, StepKind
from plinto_db.apply.partition_state import building_relation, has_foreign
from plinto_db.apply.plan import build_steps, drop_step
from plinto_db.apply.state import DatabaseState, Partition, Relation, TableRef
from plinto_db.catalog.spec import IndexSpec
from plinto_db.pg.identifiers import MAX_IDENTIFIER_BYTES, quote_ident, truncated

HASH_CHARS = 8


def partition_index_name(index: str, partition: str) -> str:
    """The name apply gives `index`'s own index on `partition`: `<partition>_<index>`, or,
    past PostgreSQL's 63 bytes, its truncation followed by a hash of the full name, so it
    is deterministic (a re-run finds it) and two long names stay apart."""
    full = f"{partition}_{index}"
    if len(full.encode()) <= MAX_IDENTIFIER_BYTES:
        return full
    digest = hashlib.sha1(full.encode()).hexdigest()[:HASH_CHARS]
    return truncated(full, MAX_IDENTIFIER_BYTES - HASH_CHARS - 1) + "_" + digest


def parent_step(spec: IndexSpec, table: TableRef | Partition, name: str, qualified: str) -> Step:
    """CREATE INDEX ... ON ONLY: catalog only, instant; SHARE lock on that table alone."""
    sql = spec.create_sql(False, name=name, table=f"ONLY {table.qualified}", tablespace=True)
    return Step(StepKind.PARENT, (sql,), name, qualified)


def attach_step(parent_qualified: str, child_qualified: str, child_name: str) -> Step:
    sql = f"ALTER INDEX {parent_qualified} ATTACH PARTITION {child_qualified}"
    return Step(StepKind.ATTACH, (sql,), child_name, child_qualified)


def plain_drop_step(qualified_index: str, name: str) -> Step:
    """A partitioned index cannot be dropped concurrently (P6): plain DROP, which takes
    ACCESS EXCLUSIVE on the parent and every partition for a moment, under lock_timeout."""
    return Step(StepKind.DROP, (f"DROP INDEX IF EXISTS {qualified_index}",), name, qualified_index)


def tree_actions(
    spec: IndexSpec,
    table: TableRef,
    found: State,
    rel: Relation | None,
    reason: str,
    state: DatabaseState,
    replace_drifted: bool,
) -> list[Action]:
    """The actions for one catalog index on a partitioned table: its parent first."""
    common = {
        "group": spec.name,
        "spec": spec,
        "state": found,
    }
    root_target = f"{quote_ident(table.schema)}.{quote_ident(spec.name)}"
    root = {
        "name": spec.name,
        "table": table.qualified,
        "table_oid": table.oid,
        "table_pages": table.pages,
        "target": root_target,
        "reason": reason,
        **common,
    }
    if found in (State.VALID, State.UNVERIFIED):
        return [Action(kind=ActionKind.SKIP, **root)]
    if found == State.BUILDING:
        relation = building_relation(state, table)
        return [Action(kind=ActionKind.WAIT, relation=relation, **root)]
    if found == State.DRIFTED and not replace_drifted:
        return [Action(kind=ActionKind.REFUSE_DRIFTED, **root)]
    drop: tuple[Step, ...] = ()
    gone: set[int] = set()
    old: set[int] = set()
    if found == State.DRIFTED:  # replaced: dropped (with every attached index), rebuilt
        drop = (plain_drop_step(rel.qualified, spec.name),)
        gone = _attached_all(state, rel)
        # an interrupted apply's unattached partition index of the old definition: rebuilt
        old = {r.oid for _, r in unattached_leftovers(spec, table, state, rel)}
        rel = None
    planner = _TreePlanner(spec, state, common, gone, old)
    if has_foreign(state, table):
        builds = planner.leaf_builds(table, attach=False)
        create = spec.create_sql(False, table=table.qualified, tablespace=True)
        final = Step(StepKind.PARENT, (create,), spec.name, root_target)
        needs = tuple(a.target for a in builds)
        kind = ActionKind.CREATE if found == State.MISSING else ActionKind.REPLACE_DRIFTED
        return [*builds, Action(kind=kind, steps=(*drop, final), needs=needs, **root)]
    steps = drop if rel is not None else (*drop, parent_step(spec, table, spec.name, root_target))
    kind = {
        State.MISSING: ActionKind.CREATE,
        State.PARTIAL: ActionKind.RESUME,
        State.DRIFTED: ActionKind.REPLACE_DRIFTED,
    }[found]
    first = Action(kind=kind, steps=steps, **root)
    under = planner.under(table.oid, rel, root_target, root_target if steps else None)
    return [first, *planner.numbered(under)]


def unattached_leftovers(
    spec: IndexSpec, table: TableRef, state: DatabaseState, old: Relation | None = None
) -> list[tuple[Partition, Relation]]:
    """Indexes an interrupted apply built on the tree's partitions and never attached: apply's
    name for the partition (`<partition>_<index>`), on that partition, attached to nothing,
    backing no constraint, and invalid (a failed build) or of the catalog's definition, or
    of `old`'s (the parent index being replaced). Anything else of that name is left alone."""
    shapes = [s for s in (state.desired.get(spec.name), old.shape if old else None) if s]
    out = []
    for part in state.partitions.get(table.oid, ()):
        if part.relkind not in ("r", "p"):
            continue
        rel = state.relation(part.schema, partition_index_name(spec.name, part.name))
        if rel is None or rel.parent_index is not None or rel.constraint:
            continue
        if rel.table is None or rel.table.oid != part.oid:
            continue
        if rel.relkind != ("I" if part.relkind == "p" else "i"):
            continue
        if rel.valid and rel.shape not in shapes:
            continue
        out.append((part, rel))
    return out


def leftover_drops(spec: IndexSpec, table: TableRef, state: DatabaseState) -> list[Action]:
    """`drop` of a partitioned catalog index: also the partition indexes an interrupted apply
    built but never attached (dropping the parent drops only what is attached to it). A
    plain partition's is dropped concurrently; a sub-partitioned one's (ON ONLY, with what
    is attached under it) plainly, under lock_timeout (P6)."""
    actions = []
    for part, rel in unattached_leftovers(spec, table, state):
        concurrent = rel.relkind == "i"
        step = drop_step if concurrent else plain_drop_step
        actions.append(
            Action(
                name=rel.name,
                table=part.qualified,
                kind=ActionKind.DROP,
                state=State.VALID if rel.valid else State.INVALID,
                steps=(step(rel.qualified, rel.name),),
                reason="a partition index an interrupted apply built and never attached",
                table_oid=part.oid,
                table_pages=part.pages,
                spec=spec,
                group=spec.name,
                target=rel.qualified,
            )
        )
    return actions


def _attached_all(state: DatabaseState, rel: Relation) -> set[int]:
    out: set[int] = set()
    pending = [rel.oid]
    while pending:
        for child in state.attached_to(pending.pop()):
            out.add(child.oid)
            pending.append(child.oid)
    return out


class _TreePlanner:
    """Walks a partition tree under one catalog index, one action per partition to do."""

    def __init__(
        self, spec: IndexSpec, state: DatabaseState, common: dict, gone: set[int], old=frozenset()
    ):
        self.spec = spec
        self.state = state
        self.common = common
        self.gone = gone  # indexes the plan drops first (with the parent they are under)
        self.old = old  # apply's own unattached partition indexes to drop and rebuild
        self.desired = state.desired.get(spec.name)

    def under(
        self, table_oid: int, index: Relation | None, index_target: str, needs: str | None
    ) -> list[Action]:
        """The actions below a (partitioned) table whose index is `index` / `index_target`
        (`needs`: the action creating it, when it does not exist yet)."""
        attached = {c.table.oid: c for c in self.state.attached_to(index.oid)} if index else {}
        actions: list[Action] = []
        for part in self.state.children_of(table_oid):
            have = attached.get(part.oid)
            if part.relkind == "f":
                continue  # P5: a non-unique parent index skips foreign tables
            if part.relkind == "p":
                actions.extend(self._sub_partitioned(part, have, index_target, needs))
            elif have is None:
                actions.append(self._leaf(part, index_target, needs, attach=True))
        return actions

    def leaf_builds(self, table: TableRef, *, attach: bool) -> list[Action]:
        """Foreign-table trees: every plain partition without a matching index gets one."""
        out = []
        for part in self.state.partitions.get(table.oid, ()):
            if part.relkind == "r" and self._reusable(part) is None:
                out.append(self._leaf(part, "", None, attach=attach))
        return self.numbered(out)

    def numbered(self, actions: list[Action]) -> list[Action]:
        """`n of N` on each: set on the actions this planner just made, which nothing else
        has seen yet (dataclasses.replace on 10,000 actions costs a visible share of a
        --dry-run)."""
        total = len(actions)
        for n, action in enumerate(actions, 1):
            object.__setattr__(action, "position", f"{n} of {total}")
        return actions

    def _sub_partitioned(
        self, part: Partition, have: Relation | None, parent_target: str, needs: str | None
    ) -> list[Action]:
        if have is not None:
            return self.under(part.oid, have, have.qualified, None)
        name = partition_index_name(self.spec.name, part.name)
        target = f"{quote_ident(part.schema)}.{quote_ident(name)}"
        existing = self._own(part, name)
        steps: list[Step] = []
        if existing is not None and existing.oid in self.old:  # of the replaced definition
            steps.append(plain_drop_step(target, name))
            self.gone |= _attached_all(self.state, existing)
            existing = None
        if existing is None:
            steps.append(parent_step(self.spec, part, name, target))
        steps.append(attach_step(parent_target, target, name))
        action = self._action(part, name, target, ActionKind.CREATE, steps, needs)
        return [action, *self.under(part.oid, existing, target, target)]

    def _leaf(self, part: Partition, parent_target: str, needs: str | None, *, attach: bool):
        match = self._reusable(part)
        if match is not None:
            step = attach_step(parent_target, match.qualified, match.name)
            return self._action(part, match.name, match.qualified, ActionKind.ATTACH, [step], needs)
        name = partition_index_name(self.spec.name, part.name)
        target = f"{quote_ident(part.schema)}.{quote_ident(name)}"
        steps: list[Step] = []
        kind = ActionKind.CREATE
        existing = self._own(part, name)
        if existing is not None:  # valid ones matched above: this one is a failed build's
            steps.append(drop_step(target, name))
            kind = ActionKind.REBUILD_INVALID
        sql = self.spec.create_sql(True, name=name, table=part.qualified, tablespace=True)
        steps.extend(build_steps(self.spec, part, sql, name))
        if attach:
            steps.append(attach_step(parent_target, target, name))
        return self._action(part, name, target, kind, steps, needs)

    def _action(self, part, name, target, kind, steps, needs) -> Action:
        return Action(
            name=name,
            table=part.qualified,
            kind=kind,
            steps=tuple(steps),
            table_oid=part.oid,
            table_pages=part.pages,
            target=target,
            needs=(needs,) if needs else (),
            **self.common,
        )

    def _own(self, part: Partition, name: str) -> Relation | None:
        """The index of apply's name for this partition, unattached; NameTaken when the name
        belongs to anything else."""
        rel = self.state.relation(part.schema, name)
        if rel is None or rel.oid in self.gone:
            return None
        if rel.oid in self.old and rel.relkind == "i":
            return rel
        expected = "I" if part.relkind == "p" else "i"
        ours = rel.relkind == expected and rel.table is not None and rel.table.oid == part.oid
        if (
            not ours
            or rel.constraint
            or rel.parent_index is not None
            or rel.valid
            and (part.relkind == "r")
        ):
            raise NameTaken(self.spec.renamed(name), rel)
        return rel

    def _reusable(self, part: Partition) -> Relation | None:
        """A valid, unattached index on the partition with the catalog's exact definition
        (P3, P4): attached instead of built. Apply's own name first."""
        if self.desired is None:
            return None
        candidates = self.state.unattached_on(part.oid)
        if not candidates:
            return None
        own = partition_index_name(self.spec.name, part.name)
        found = [rel for rel in candidates if rel.shape == self.desired]
        found.sort(key=lambda rel: rel.name != own)
        return found[0] if found else None
