"""How the names a plan shows map to the names checks use. Pure code: facts given, no database.

A plan (read with VERBOSE) names each relation with its schema; a check names tables and
indexes as a user writes them: `app.events`, or `events`, which resolves through the session's
`search_path` as PostgreSQL resolves it (a name on no schema of the path but in exactly one
schema resolves there too). A partition's own index and table map to the partitioned index and
table declared on the root; a HypoPG index's plan name maps back to its catalog name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from plinto_db.check.planwalk import PlanNode
from plinto_db.pg.facts import QName  # schema None: unknown, matches any schema

__all__ = ["Names", "QName", "resolve"]


@dataclass(frozen=True)
class Names:
    """The server's naming, as facts for pure code.

    `index_parent`: a partition's own index -> the partitioned index declared on the root.
    `index_alias`: a hypothetical index's plan name (`<13543>btree_users_email`) -> catalog name.
    `index_table`: index -> its (root) table. `table_parent`: a partition -> its root table.
    `partial`: partial indexes whose predicate filters (more than `IS NOT NULL`).
    `pages`: each table's size. `schemas`: relation name -> the schemas holding a relation
    (table or index) of that name. `search_path`: the session's.
    """

    index_parent: Mapping[QName, QName] = field(default_factory=dict)
    index_alias: Mapping[str, str] = field(default_factory=dict)
    index_table: Mapping[QName, QName] = field(default_factory=dict)
    table_parent: Mapping[QName, QName] = field(default_factory=dict)
    partial: frozenset[QName] = frozenset()
    pages: Mapping[QName, int] = field(default_factory=dict)
    schemas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    search_path: tuple[str, ...] = ()

    @staticmethod
    def empty() -> Names:
        return Names()

    def qualify(self, name: QName) -> QName:
        """A check's name with its schema: as written, else through the search_path."""
        schema, bare = name
        if schema:
            return (schema, bare)
        holders = self.schemas.get(bare, ())
        for candidate in self.search_path:
            if candidate in holders:
                return (candidate, bare)
        return (holders[0], bare) if len(holders) == 1 else (None, bare)

    def root_index(self, schema: str | None, plan_name: str) -> QName:
        name = self.index_alias.get(plan_name, plan_name)
        return _follow(self.index_parent, (schema, name))

    def root_table(self, schema: str | None, plan_name: str) -> QName:
        return _follow(self.table_parent, (schema, plan_name))

    def table_of_index(self, index: QName) -> QName | None:
        """The (root) table an index is on."""
        return _get(self.index_table, self.root_index(*index))

    def is_partial(self, schema: str | None, name: str) -> bool:
        if schema is not None:
            return (schema, name) in self.partial
        return any(key[1] == name for key in self.partial)

    def pages_of(self, schema: str | None, name: str) -> int | None:
        return _get(self.pages, (schema, name))


def _get(mapping: Mapping[QName, object], key: QName):
    """mapping[key]; a key without schema (a plan read without VERBOSE) matches by name."""
    if key[0] is not None:
        return mapping.get(key)
    return next((v for k, v in mapping.items() if k[1] == key[1]), None)


def _follow(parents: Mapping[QName, QName], name: QName) -> QName:
    seen = {name}
    while (parent := _get(parents, name)) is not None and parent not in seen:
        name = parent
        seen.add(name)
    return name


def resolve(nodes: tuple[PlanNode, ...], names: Names) -> tuple[PlanNode, ...]:
    """Nodes with partition indexes/tables and hypothetical index names mapped to their roots;
    the names the plan showed stay in `plan_index`, `plan_relation` and `plan_schema`."""
    out = []
    for node in nodes:
        schema, index = (None, None)
        if node.index:
            schema, index = names.root_index(node.schema, node.index)
        relation = None
        if node.relation:
            schema, relation = names.root_table(node.schema, node.relation)
        elif index is not None:
            schema, relation = _get(names.index_table, (schema, index)) or (schema, None)
        out.append(
            replace(
                node,
                index=index,
                relation=relation,
                schema=schema if schema is not None else node.schema,
                plan_index=node.index,
                plan_relation=node.relation,
                plan_schema=node.schema,
            )
        )
    return tuple(out)
