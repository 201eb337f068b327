"""Forced mode proves an index *can* serve a query: when the planner picks a competitor on the
expected index's table, the competitor is dropped inside the check's savepoint (rolled back
right after) and the query is planned again, until the expected index is used or none is left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from plinto_db.check.planwalk import used_indexes, walk
from plinto_db.check.workload import Check
from plinto_db.pg.messages import server_message

if TYPE_CHECKING:
    from plinto_db.check.explain import RunOptions


def isolate(
    conn: psycopg.Connection,
    check: Check,
    plan: Any,
    replan: Callable[[], Any],
    options: RunOptions,
    notes: list[str],
) -> Any:
    """The plan once competing indexes are hidden (or the plan as it was); notes say which."""
    wanted = {name.rsplit(".", 1)[-1] for name in check.index_names()}
    hidden: list[str] = []
    while wanted and len(hidden) < options.max_hidden:
        rivals = _rivals(plan, wanted, hidden, options)
        if not rivals:
            break
        try:
            with conn.transaction():
                for rival in rivals:
                    schema = options.index_schemas.get(rival)
                    name = sql.Identifier(schema, rival) if schema else sql.Identifier(rival)
                    conn.execute(sql.SQL("DROP INDEX {}").format(name))
        except psycopg.Error as exc:
            notes.append(f"could not hide {', '.join(rivals)} to isolate it: {server_message(exc)}")
            break
        hidden.extend(rivals)
        plan = replan()
    if hidden:
        notes.append(
            f"hid {', '.join(hidden)} (dropped inside a rolled-back savepoint) to show that "
            "the expected index can serve the query"
        )
    return plan


def _rivals(plan: Any, wanted: set[str], hidden: list[str], options: RunOptions) -> list[str]:
    """Indexes the plan uses on the expected indexes' tables instead of them; [] once it uses
    an expected one."""
    roots = options.index_roots
    nodes = walk(plan)
    raw = set(used_indexes(nodes))
    if wanted & (raw | {roots.get(name, name) for name in raw}):
        return []
    tables = {options.index_tables.get(name) for name in wanted} - {None}
    used = [roots.get(n.index, n.index) for n in nodes if n.uses_index and n.index]
    rivals = [name for name in used if options.index_tables.get(name) in tables]
    keep = hidden + [roots.get(name, name) for name in wanted]  # never the wanted one
    return list(dict.fromkeys(r for r in rivals if r not in keep))
