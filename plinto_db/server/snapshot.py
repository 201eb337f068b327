"""What a schema holds, by kind and qualified name: compared before and after a revision."""

from __future__ import annotations

from dataclasses import dataclass

SNAPSHOT_SQL = """
SELECT CASE WHEN c.relkind IN ('r', 'p') THEN 'table'
            WHEN c.relkind IN ('i', 'I') THEN 'index'
            WHEN c.relkind = 'S' THEN 'sequence'
            ELSE 'view' END,
       pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'i', 'I', 'S', 'v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'plinto_db')
  AND n.nspname !~ '^pg_' AND c.relname <> 'alembic_version'
  AND NOT (c.relkind IN ('i', 'I') AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x
           JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
           WHERE x.indexrelid = c.oid AND t.relname = 'alembic_version'))
UNION ALL
SELECT 'constraint', con.conrelid::pg_catalog.regclass::text || '.' ||
       pg_catalog.quote_ident(con.conname)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
WHERE con.contype IN ('f', 'c', 'x') AND con.conrelid <> 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'plinto_db') AND n.nspname !~ '^pg_'
UNION ALL
SELECT 'type', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_'
"""
KINDS = ("table", "index", "constraint", "sequence", "view", "type")
PLURAL = {"index": "indexes"}


def plural(kind: str, count: int = 2) -> str:
    return kind if count == 1 else PLURAL.get(kind, kind + "s")


@dataclass(frozen=True)
class Change:
    """What one revision created and dropped, by kind: kind -> qualified names."""

    revision: str
    description: str
    created: dict[str, tuple[str, ...]]
    dropped: dict[str, tuple[str, ...]]

    def as_dict(self) -> dict:
        return {
            "revision": self.revision,
            "description": self.description,
            "created": {k: list(v) for k, v in self.created.items()},
            "dropped": {k: list(v) for k, v in self.dropped.items()},
        }

    def summary(self) -> str:
        def counted(found: dict[str, tuple[str, ...]]) -> str:
            return ", ".join(
                f"{len(names)} {plural(kind, len(names))}" for kind, names in found.items()
            )

        parts = []
        if self.created:
            parts.append("created " + counted(self.created))
        if self.dropped:
            parts.append("dropped " + counted(self.dropped))
        return "; ".join(parts) or "no schema objects changed"


def snapshot(dsn: str) -> set[tuple[str, str]]:
    from plinto_db.pg.connect import connection

    with connection(dsn, application_name="plinto-db migrate") as conn:
        return {(kind, name) for kind, name in conn.execute(SNAPSHOT_SQL).fetchall()}


def change(revision: str, description: str, before: set, after: set) -> Change:
    return Change(revision, description, _by_kind(after - before), _by_kind(before - after))


def _by_kind(items: set[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    return {
        kind: tuple(sorted(name for k, name in items if k == kind))
        for kind in KINDS
        if any(k == kind for k, _ in items)
    }
