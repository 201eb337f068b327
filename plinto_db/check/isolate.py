"""Forced mode proves an index *can* serve a query: when the planner picks a competitor on the
expected index's table, the competitor is dropped inside the check's savepoint (rolled back
right after) and the query is planned again, until the expected index is used or none is left.

A read-only server (a hot standby) cannot drop anything: the check says so and keeps the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from plinto_db.check.display import shown
from plinto_db.check.judge import names_index
from plinto_db.check.names import Names, QName, resolve
from plinto_db.check.planwalk import walk
from plinto_db.check.workload import Check
from plinto_db.pg.messages import server_message

if TYPE_CHECKING:
    from plinto_db.check.modes import RunOptions


def isolate(
    conn: psycopg.Connection,
    check: Check,
    plan: Any,
    replan: Callable[[], Any],
    options: RunOptions,
    notes: list[str],
) -> Any:
    """The plan once competing indexes are hidden (or the plan as it was); notes say which."""
    names = options.names
    wanted = [names.qualify(name) for name in check.indexes()]
    hidden: list[QName] = []
    while wanted and len(hidden) < options.max_hidden:
        rivals = _rivals(plan, wanted, hidden, names)
        if not rivals:
            break
        listed = ", ".join(shown(*rival) for rival in rivals)
        if options.read_only:
            notes.append(
                f"could not hide {listed} to isolate the expected index: the server is read-only "
                "(a hot standby); this is the plan with them present"
            )
            break
        try:
            with conn.transaction():
                for schema, name in rivals:
                    target = sql.Identifier(schema, name) if schema else sql.Identifier(name)
                    conn.execute(sql.SQL("DROP INDEX {}").format(target))
        except psycopg.Error as exc:
            notes.append(f"could not hide {listed} to isolate it: {server_message(exc)}")
            break
        hidden.extend(rivals)
        plan = replan()
    if hidden:
        notes.append(
            f"hid {', '.join(shown(*index) for index in hidden)} (dropped inside a rolled-back "
            "savepoint) to show that the expected index can serve the query"
        )
    return plan


def _rivals(plan: Any, wanted: list[QName], hidden: list[QName], names: Names) -> list[QName]:
    """Indexes the plan uses on the expected indexes' tables instead of them (a partition's
    own index of a partitioned index: the partitioned index); [] once it uses an expected one."""
    nodes = resolve(walk(plan), names)
    index_nodes = [n for n in nodes if n.uses_index and n.index]
    if any(names_index(n, wanted) for n in index_nodes):
        return []
    tables = {names.table_of_index(w) for w in wanted} - {None}
    keep = set(hidden) | {names.root_index(*w) for w in wanted}  # never the wanted one
    rivals = [
        (n.schema, str(n.index))
        for n in index_nodes
        if names.table_of_index((n.schema, str(n.index))) in tables
    ]
    return list(dict.fromkeys(r for r in rivals if r not in keep))
