"""What to run by hand when a bench could not restore the catalog as found (pure).

Idempotent statements, so they are safe whatever the server did in between: an index that
should be there is dropped first when it exists but is not valid (a failed concurrent build
leaves an invalid one), then created; one that should not be there is dropped if it exists.
When the server could not be asked, an index that should be there gets CREATE ... IF NOT
EXISTS (never a DROP of what may be valid).
"""

from __future__ import annotations

from collections.abc import Collection

from plinto_db.catalog.spec import IndexSpec
from plinto_db.pg.identifiers import quote_ident

VALID = "valid"
MISSING = "missing"


def finishing_statements(
    specs: tuple[IndexSpec, ...],
    schemas: dict[str, str],
    wanted: Collection[str],
    states: dict[str, str] | None,
) -> list[str]:
    """The statements that take the catalog to exactly `wanted` valid. `schemas`: index ->
    the schema of its table (as the server resolved it); `states`: index -> state, or None
    when the server could not be asked (every index then gets its idempotent statement)."""
    statements = []
    for spec in specs:
        state = states.get(spec.name) if states is not None else None
        schema = schemas.get(spec.name) or spec.schema
        index = f"{quote_ident(schema)}.{quote_ident(spec.name)}" if schema else spec.name
        if spec.name in wanted:
            if state == VALID:
                continue
            create = spec.create_sql(concurrently=True)
            if state is None:  # not known: never drop what may be valid
                create = create.replace(" CONCURRENTLY ", " CONCURRENTLY IF NOT EXISTS ", 1)
            elif state != MISSING:
                statements.append(f"DROP INDEX CONCURRENTLY IF EXISTS {index};")
            statements.append(create + ";")
        elif state != MISSING:
            statements.append(f"DROP INDEX CONCURRENTLY IF EXISTS {index};")
    return statements
