"""Relation names as check's messages show them: quoted where PostgreSQL needs quotes, and
qualified outside `public` (`"Shop"."Customers"`, `sales.order_items`, `users`), so a name
can be pasted back into SQL or a check's header. Pure code.
"""

from __future__ import annotations

from plinto_db.pg.identifiers import quote_ident


def shown(schema: str | None, name: str) -> str:
    """A relation as a message shows it: bare in `public` (or an unknown schema)."""
    if schema in (None, "public"):
        return quote_ident(name)
    return qualified(schema, name)


def qualified(schema: str | None, name: str) -> str:
    """A relation with its schema whenever it is known, `public` included."""
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)
