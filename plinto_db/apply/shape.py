"""The shape of an index as PostgreSQL normalises it, read from pg_index.

Two indexes are the same index iff their shapes are equal: method, uniqueness, NULLS NOT
DISTINCT, key columns/expressions (pg_get_indexdef per column), operator classes,
collations, ASC/DESC and NULLS order, INCLUDE columns, predicate and storage parameters.
Read with a pinned search_path so names print the same way for both sides (F14).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

# One row per index oid in %(oids)s: everything that makes two indexes the same index.
# {nnd} is `i.indnullsnotdistinct` on PG15+, `false` before.
SHAPE_SQL = """
SELECT c.oid, am.amname, i.indisunique, {nnd} AS nulls_not_distinct,
       i.indnkeyatts, i.indnatts,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(c.oid, k, false)
             FROM generate_series(1, i.indnatts) AS k ORDER BY k) AS columns,
       ARRAY(SELECT coalesce(opc.opcname, '')
             FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS u(o, n)
             LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = u.o ORDER BY u.n) AS opclasses,
       ARRAY(SELECT coalesce(col.collname, '')
             FROM unnest(i.indcollation::oid[]) WITH ORDINALITY AS u(o, n)
             LEFT JOIN pg_catalog.pg_collation col ON col.oid = u.o ORDER BY u.n) AS collations,
       i.indoption::int2[] AS options,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
       coalesce(c.reloptions, '{{}}') AS reloptions,
       pg_catalog.pg_get_indexdef(c.oid) AS definition
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.oid = ANY(%(oids)s)
"""


@dataclass(frozen=True)
class IndexShape:
    """An index as PostgreSQL normalises it. Two indexes are the same index iff equal."""

    method: str
    unique: bool
    nulls_not_distinct: bool
    key_count: int
    columns: tuple[str, ...]  # key columns, then INCLUDE columns (pg_get_indexdef per column)
    opclasses: tuple[str, ...]
    collations: tuple[str, ...]
    options: tuple[int, ...]  # indoption bits: 1 DESC, 2 NULLS FIRST
    predicate: str | None
    reloptions: tuple[str, ...]
    definition: str = field(default="", compare=False)  # pg_get_indexdef, for messages

    def differences(self, desired: IndexShape) -> tuple[str, ...]:
        """Human-readable reasons why this (live) index is not the desired one."""
        out: list[str] = []
        if self.method != desired.method:
            out.append(f"method {self.method} instead of {desired.method}")
        if self.unique != desired.unique:
            out.append(
                "UNIQUE, the catalog's is not" if self.unique else "not UNIQUE, the catalog's is"
            )
        if self.nulls_not_distinct != desired.nulls_not_distinct:
            out.append("NULLS NOT DISTINCT differs")
        live_keys = self.columns[: self.key_count]
        want_keys = desired.columns[: desired.key_count]
        if live_keys != want_keys:
            out.append(f"keys ({', '.join(live_keys)}) instead of ({', '.join(want_keys)})")
        else:
            for pos, key in enumerate(live_keys):
                have = self.options[pos] if pos < len(self.options) else 0
                want = desired.options[pos] if pos < len(desired.options) else 0
                if have & 1 != want & 1:
                    out.append(
                        f"{key} {'DESC' if have & 1 else 'ASC'} instead of "
                        f"{'DESC' if want & 1 else 'ASC'}"
                    )
                elif have & 2 != want & 2:
                    out.append(
                        f"{key} NULLS {'FIRST' if have & 2 else 'LAST'} instead of "
                        f"NULLS {'FIRST' if want & 2 else 'LAST'}"
                    )
                if self.opclasses[pos : pos + 1] != desired.opclasses[pos : pos + 1]:
                    out.append(
                        f"{key} operator class {self.opclasses[pos]} instead of "
                        f"{desired.opclasses[pos]}"
                    )
                if self.collations[pos : pos + 1] != desired.collations[pos : pos + 1]:
                    have_c = self.collations[pos] if pos < len(self.collations) else ""
                    want_c = desired.collations[pos] if pos < len(desired.collations) else ""
                    out.append(
                        f"{key} collation {have_c or '(none)'} instead of {want_c or '(none)'}"
                    )
        if self.columns[self.key_count :] != desired.columns[desired.key_count :]:
            out.append("INCLUDE columns differ")
        if self.predicate != desired.predicate:
            out.append(
                f"predicate {self.predicate or '(none)'} instead of {desired.predicate or '(none)'}"
            )
        if self.reloptions != desired.reloptions:
            out.append("storage parameters differ")
        if not out and self != desired:
            out.append("definition differs")
        return tuple(out)


def read_shapes(cur: psycopg.Cursor, oids: list[int]) -> dict[int, IndexShape]:
    nnd = "i.indnullsnotdistinct" if cur.connection.info.server_version >= 150000 else "false"
    rows = cur.execute(SHAPE_SQL.format(nnd=nnd), {"oids": oids}).fetchall()
    return {
        row[0]: IndexShape(
            method=row[1],
            unique=row[2],
            nulls_not_distinct=row[3],
            key_count=row[4],
            columns=tuple(row[6]),
            opclasses=tuple(row[7]),
            collations=tuple(row[8]),
            options=tuple(row[9] or ()),
            predicate=row[10],
            reloptions=tuple(sorted(row[11] or ())),
            definition=row[12],
        )
        for row in rows
    }
