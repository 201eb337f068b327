"""The `-- sample:` query of a captured check: one row whose columns are `$1 … $n`.

Values of one table come from one row (`email` and `status` of the same user, so their
combination exists and the planner sees a real selectivity), skipping NULLs (a comparison
with NULL matches nothing and proves no index). Several tables: one row of each, cross
joined. `= ANY($n)`: an array of three values. `LIMIT $n`: 10, `OFFSET $n`: 0. Every table
is read under the alias `plinto_sample`, so a later capture knows these queries for its own.

Pure code.
"""

from __future__ import annotations

from plinto_db.capture.params import Source, SourceKind
from plinto_db.capture.statements import SAMPLE_ALIAS, QName
from plinto_db.pg.identifiers import quote_ident

FIXED = {SourceKind.LIMIT: "10", SourceKind.OFFSET: "0"}
ARRAY_VALUES = 3


def missing(sources: dict[int, Source], count: int) -> tuple[int, ...]:
    """The parameters no value can be drawn for."""
    return tuple(n for n in range(1, count + 1) if n not in sources)


def sample_query(sources: dict[int, Source], count: int) -> str | None:
    """The sample query for `$1 … $count`; None when a parameter has no source (or none)."""
    if not count or missing(sources, count):
        return None
    ordered = [sources[n] for n in range(1, count + 1)]
    tables = list(dict.fromkeys(s.table for s in ordered if s.kind is SourceKind.COLUMN))
    if len(tables) <= 1:
        return _one_row(ordered, tables[0] if tables else None)
    return _cross_join(ordered, tables)


def _one_row(ordered: list[Source], table: QName | None) -> str:
    items = [_item(source) for source in ordered]
    if table is None:
        return "SELECT " + ", ".join(items)
    expressions = dict.fromkeys(s.expression for s in ordered if s.kind is SourceKind.COLUMN)
    return (
        f"SELECT {', '.join(items)} FROM {_table(table)} AS {SAMPLE_ALIAS}"
        f" WHERE {_not_null(expressions)} LIMIT 1"
    )


def _cross_join(ordered: list[Source], tables: list[QName | None]) -> str:
    aliases = {table: f"{SAMPLE_ALIAS}_{n}" for n, table in enumerate(tables, start=1)}
    derived = []
    for table, alias in aliases.items():
        assert table is not None
        expressions = list(
            dict.fromkeys(
                s.expression for s in ordered if s.kind is SourceKind.COLUMN and s.table == table
            )
        )
        columns = ", ".join(f"{e} AS v{i}" for i, e in enumerate(expressions, start=1))
        derived.append(
            f"(SELECT {columns} FROM {_table(table)} AS {alias}"
            f" WHERE {_not_null(expressions)} LIMIT 1) AS {alias}"
        )
    items = []
    for source in ordered:
        if source.kind is SourceKind.COLUMN:
            alias = aliases[source.table]
            position = _position(ordered, source)
            items.append(f"{alias}.v{position}")
        else:
            items.append(_item(source))
    return f"SELECT {', '.join(items)} FROM {' CROSS JOIN '.join(derived)}"


def _position(ordered: list[Source], source: Source) -> int:
    """Where the source's expression is in its table's derived select list (1-based)."""
    expressions = list(
        dict.fromkeys(
            s.expression for s in ordered if s.kind is SourceKind.COLUMN and s.table == source.table
        )
    )
    return expressions.index(source.expression) + 1


def _item(source: Source) -> str:
    if source.kind in FIXED:
        return FIXED[source.kind]
    if source.kind is SourceKind.ARRAY:
        assert source.table is not None
        return (
            f"ARRAY(SELECT {source.expression} FROM {_table(source.table)} AS {SAMPLE_ALIAS}"
            f" WHERE {source.expression} IS NOT NULL LIMIT {ARRAY_VALUES})"
        )
    return source.expression


def _not_null(expressions) -> str:
    return " AND ".join(f"{e} IS NOT NULL" for e in expressions)


def _table(table: QName) -> str:
    schema, name = table
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)
