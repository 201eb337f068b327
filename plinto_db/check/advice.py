"""What to do about a catalog index that is not built: a command that works. Pure code.

`plinto-db apply` builds any index PostgreSQL can build, a partitioned table's too (ON ONLY,
a concurrent build per partition, ATTACH). What it refuses, PostgreSQL would refuse: a unique
index on a partitioned table must hold every partition-key column (and the key cannot be an
expression), so advising `apply` there would send the user to an error.
"""

from __future__ import annotations

from typing import Any

from plinto_db.check.display import shown

BUILD_ADVICE = "run plinto-db apply, or check with --mode hypothetical"


def build_advice(spec: Any, facts: Any) -> str:
    """How to get the catalog index `spec` built, given what the server has (`facts`)."""
    table = facts.table((spec.schema, spec.table))
    if table is None or table.kind != "p" or not spec.unique:
        return BUILD_ADVICE
    return unique_refusal(spec, table) or BUILD_ADVICE


def unique_refusal(spec: Any, table: Any) -> str | None:
    """Why PostgreSQL refuses this unique index on the partitioned `table` (a check fact),
    and what to write instead; None when it is accepted."""
    where = shown(table.schema, table.name)
    partition_key = table.partition_key
    if table.foreign_partition:
        return (
            f"PostgreSQL cannot build it: partition {table.foreign_partition} of {where} is a "
            "foreign table, which cannot carry a unique index; make it unique on each local "
            "partition instead (plinto-db apply refuses it)"
        )
    if "" in partition_key:
        return (
            f"PostgreSQL cannot build it: {where} is partitioned by an expression, and a unique "
            "index on a partitioned table needs plain partition-key columns; make it unique on "
            "each partition instead (plinto-db apply refuses it)"
        )
    columns = {key.column for key in spec.keys if key.column is not None}
    missing = [column for column in partition_key if column not in columns]
    if not missing:
        return None
    return (
        f"PostgreSQL cannot build it: a unique index on partitioned table {where} must include "
        f"its partition key ({', '.join(missing)} missing); add "
        f"{'it' if len(missing) == 1 else 'them'} to the index, or make it unique on each "
        "partition (plinto-db apply refuses it)"
    )
