"""Deciding what to do: a pure function from (catalog, database state) to actions.

No I/O here. Every action carries the exact statements the executor will run, so
`--dry-run` prints precisely what `apply` would do.
"""

from __future__ import annotations

from plinto_db.apply.actions import (
    UNVERIFIED_REASON,
    Action,
    ActionKind,
    NameTaken,
    Plan,
    State,
    Step,
    StepKind,
)
from plinto_db.apply.partition_state import classify_tree
from plinto_db.apply.state import (
    DatabaseState,
    Relation,
    TableRef,
    is_leftover,
    replacement_name,
    retired_name,
)
from plinto_db.catalog.spec import IndexSpec
from plinto_db.pg.identifiers import quote_ident


def classify(spec: IndexSpec, state: DatabaseState) -> tuple[State, Relation | None, str]:
    """The state of one catalog index, the relation holding its name, and why."""
    table = state.tables[spec.name]
    rel = state.relation(table.schema, spec.name)
    if rel is None:
        if table.partitioned:
            return classify_tree(spec, table, None, state, _compare)
        return State.MISSING, None, ""
    if not rel.is_index or rel.table is None or rel.table.oid != table.oid:
        return State.NAME_TAKEN, rel, ""
    if rel.constraint:
        return State.NAME_TAKEN, rel, f"backs constraint {rel.constraint}"
    if table.partitioned:
        return classify_tree(spec, table, rel, state, _compare)
    if not rel.valid:
        build = state.build_of(rel)
        if build is not None:
            phase = f", {build.phase}" if build.phase else ""
            return State.BUILDING, rel, f"being built by pid {build.pid}{phase}"
        flags = "not ready" if not rel.ready else "ready but not valid"
        return State.INVALID, rel, f"INVALID ({flags}), no build in progress"
    return _compare(spec, rel, state)


def _compare(spec: IndexSpec, rel: Relation, state: DatabaseState) -> tuple[State, Relation, str]:
    desired = state.desired.get(spec.name)
    if desired is None:
        return State.UNVERIFIED, rel, UNVERIFIED_REASON
    if rel.shape is not None and rel.shape != desired:
        return State.DRIFTED, rel, "; ".join(rel.shape.differences(desired))
    return State.VALID, rel, ""


def make_plan(
    specs: tuple[IndexSpec, ...],
    state: DatabaseState,
    *,
    replace_drifted: bool = False,
    drop_leftovers: bool = True,
) -> Plan:
    """One action per catalog index, then one per leftover on the catalog's tables.

    Raises NameTaken when a catalog name belongs to something that is not that index.
    """
    actions: list[Action] = []
    for spec in specs:
        table = state.tables[spec.name]
        found, rel, reason = classify(spec, state)
        if found == State.NAME_TAKEN:
            raise NameTaken(spec, rel)
        if table.partitioned:
            from plinto_db.apply import partitions

            actions.extend(
                partitions.tree_actions(spec, table, found, rel, reason, state, replace_drifted)
            )
            continue
        actions.append(_action(spec, table, found, rel, reason, state, replace_drifted))
    if drop_leftovers:
        replaced = {a.name for a in actions if a.kind == ActionKind.REPLACE_DRIFTED}
        actions.extend(_leftovers(specs, state, replaced))
    return Plan(tuple(actions))


def _action(
    spec: IndexSpec,
    table: TableRef,
    found: State,
    rel: Relation | None,
    reason: str,
    state: DatabaseState,
    replace_drifted: bool,
) -> Action:
    qualified = quote_ident(table.schema) + "." + quote_ident(spec.name)
    target = spec.create_sql(True, table=table.qualified, tablespace=True)
    build = build_steps(spec, table, target, spec.name)
    common = {
        "name": spec.name,
        "table": table.qualified,
        "state": found,
        "reason": reason,
        "table_oid": table.oid,
        "table_pages": table.pages,
        "spec": spec,
    }
    if found == State.MISSING:
        return Action(kind=ActionKind.CREATE, steps=build, **common)
    if found in (State.VALID, State.UNVERIFIED):
        return Action(kind=ActionKind.SKIP, **common)
    if found == State.BUILDING:
        return Action(kind=ActionKind.WAIT, relation=rel, **common)
    if found == State.INVALID:
        steps = (drop_step(qualified, spec.name), *build)
        return Action(kind=ActionKind.REBUILD_INVALID, steps=steps, **common)
    if not replace_drifted:
        return Action(kind=ActionKind.REFUSE_DRIFTED, **common)
    if rel is not None and rel.dependents:
        # the swap would leave the old index behind for good (a foreign key keeps it) or
        # silently drop the replica identity with it: a DBA must do this one by hand
        common["reason"] = (
            f"{reason}; not replaced: the live index backs {'; '.join(rel.dependents)}, "
            "so it cannot be swapped out and dropped concurrently (replace it by hand)"
        )
        return Action(kind=ActionKind.REFUSE_DRIFTED, **common)
    steps = _replace_steps(spec, table, qualified, state)
    return Action(kind=ActionKind.REPLACE_DRIFTED, steps=steps, **common)


def _replace_steps(
    spec: IndexSpec, table: TableRef, qualified: str, state: DatabaseState
) -> tuple[Step, ...]:
    """Build the catalog's definition under a temporary name, swap the names in one
    transaction, drop the old index: every step concurrent or under a short lock."""
    schema = quote_ident(table.schema)
    temp, retired = replacement_name(spec.name), retired_name(spec.name)
    steps: list[Step] = []
    existing_temp = state.relation(table.schema, temp)
    temp_ready = (
        existing_temp is not None
        and existing_temp.is_index
        and existing_temp.valid
        and existing_temp.shape == state.desired[spec.name]
    )
    if existing_temp is not None and not temp_ready:
        steps.append(drop_step(f"{schema}.{quote_ident(temp)}", temp))
    if not temp_ready:
        create = spec.create_sql(True, name=temp, table=table.qualified, tablespace=True)
        steps.extend(build_steps(spec, table, create, temp))
    if state.relation(table.schema, retired) is not None:
        steps.append(drop_step(f"{schema}.{quote_ident(retired)}", retired))
    renames = (
        f"ALTER INDEX {qualified} RENAME TO {quote_ident(retired)}",
        f"ALTER INDEX {schema}.{quote_ident(temp)} RENAME TO {quote_ident(spec.name)}",
    )
    steps.append(Step(StepKind.SWAP, renames, spec.name, qualified))
    steps.append(drop_step(f"{schema}.{quote_ident(retired)}", retired))
    return tuple(steps)


def build_steps(spec: IndexSpec, table, create_sql: str, index: str) -> tuple[Step, ...]:
    """The concurrent build of `index` on `table` (a TableRef or a Partition), its cleanup,
    and an ANALYZE for an expression index."""
    qualified = f"{quote_ident(table.schema)}.{quote_ident(index)}"
    build = Step(
        StepKind.BUILD, (create_sql,), index, qualified, cleanup=drop_step(qualified, index)
    )
    if not spec.has_expression:
        return (build,)
    analyze = Step(
        StepKind.ANALYZE,
        (f"ANALYZE {table.qualified}",),
        index,
        qualified,
        optional=True,
        why="autovacuum will analyze later",
    )
    return build, analyze


def drop_step(qualified_index: str, name: str) -> Step:
    return Step(
        StepKind.DROP,
        (f"DROP INDEX CONCURRENTLY IF EXISTS {qualified_index}",),
        name,
        qualified_index,
    )


def _leftovers(
    specs: tuple[IndexSpec, ...], state: DatabaseState, replaced: set[str]
) -> list[Action]:
    """REINDEX CONCURRENTLY leftovers (_ccnew/_ccold) and retired swap halves (_plold)."""
    actions = []
    wanted = {s.name for s in specs}
    handled = {retired_name(n) for n in replaced} | {replacement_name(n) for n in replaced}
    seen_tables = {t.oid: t for t in state.tables.values()}
    for table in seen_tables.values():
        for rel in state.indexes_on(table.oid):
            if rel.name in wanted or rel.name in handled or not is_leftover(rel.name):
                continue
            if rel.constraint:
                continue
            build = state.build_of(rel) if not rel.valid else None
            common = {
                "name": rel.name,
                "table": table.qualified,
                "table_oid": table.oid,
                "table_pages": table.pages,
                "state": State.BUILDING if build else State.INVALID,
            }
            if build is not None:
                actions.append(
                    Action(
                        kind=ActionKind.WAIT,
                        reason=f"REINDEX in progress (pid {build.pid})",
                        relation=rel,
                        **common,
                    )
                )
                continue
            actions.append(
                Action(
                    kind=ActionKind.DROP_LEFTOVER,
                    steps=(drop_step(rel.qualified, rel.name),),
                    reason="leftover of an interrupted REINDEX CONCURRENTLY or index swap",
                    **common,
                )
            )
    return actions


def make_drop_plan(specs: tuple[IndexSpec, ...], state: DatabaseState) -> Plan:
    """DROP INDEX CONCURRENTLY for each catalog index that exists (never one being built,
    never a name that belongs to something else)."""
    actions = []
    for spec in specs:
        table = state.tables[spec.name]
        found, rel, reason = classify(spec, state)
        common = {
            "name": spec.name,
            "table": table.qualified,
            "state": found,
            "table_oid": table.oid,
            "table_pages": table.pages,
            "spec": spec,
        }
        if found == State.NAME_TAKEN:
            raise NameTaken(spec, rel)
        if found == State.BUILDING:
            actions.append(Action(kind=ActionKind.WAIT, reason=reason, **common))
            continue
        if found == State.MISSING:
            actions.append(Action(kind=ActionKind.SKIP, reason="not present", **common))
        elif not table.partitioned:
            step = drop_step(rel.qualified, spec.name)
            actions.append(Action(kind=ActionKind.DROP, steps=(step,), reason=reason, **common))
        if table.partitioned:
            actions.extend(_partitioned_drop(spec, table, rel, found, reason, state, common))
    return Plan(tuple(actions))


def _partitioned_drop(spec, table, rel, found, reason, state, common) -> list[Action]:
    """The parent index (plain DROP, P6), then what an interrupted apply left unattached."""
    from plinto_db.apply import partitions

    actions = []
    if found != State.MISSING:
        step = partitions.plain_drop_step(rel.qualified, spec.name)
        actions.append(Action(kind=ActionKind.DROP, steps=(step,), reason=reason, **common))
    return actions + partitions.leftover_drops(spec, table, state)


def taken_meanwhile(action: Action, why: NameTaken) -> Action:
    """Another relation took the catalog's name while apply waited for another session's
    build: nothing is built; the index stays in `remaining` and the run is not converged."""
    return _skipped(action, f"{why}; not built")


def after_wait(action: Action, fresh: Action | None) -> Action:
    """What to do once another session's build of `action`'s index has ended.

    `fresh` is the catalog index planned again on the state read after the wait; None for
    an index the catalog does not name (a REINDEX leftover another session worked on).
    """
    if fresh is not None:
        return fresh
    return _skipped(action, f"{action.reason}; left alone, the next apply drops it if it remains")


def merged(actions: tuple[Action, ...]) -> Action:
    """A partitioned index planned again after a wait, as one action: its steps in plan
    order (each parent's index before the partitions attached to it), run one by one."""
    if len(actions) == 1:
        return actions[0]
    from dataclasses import replace

    first = next((a for a in actions if a.steps), actions[0])
    steps = tuple(step for action in actions for step in action.steps)
    kind = first.kind if steps else ActionKind.SKIP
    return replace(actions[0], kind=kind, steps=steps, needs=())


def _skipped(action: Action, reason: str) -> Action:
    return Action(
        action.name, action.table, ActionKind.SKIP, action.state, reason=reason,
        table_oid=action.table_oid,
    )  # fmt: skip
