"""The health checks doctor knows, in report order, and choosing among them (--only/--exclude)."""

from __future__ import annotations

from collections.abc import Iterable

from plinto_db.doctor.checks import (
    always_true_predicate,
    duplicate_index,
    duplicates_unique_key,
    fk_without_index,
    index_bloat,
    invalid_index,
    pinned_key_column,
    redundant_index,
    table_without_pk,
    unproven_index,
    unused_index,
    write_amplification,
)
from plinto_db.doctor.model import Check
from plinto_db.errors import UserError

CHECKS: tuple[Check, ...] = (
    invalid_index.CHECK,
    duplicate_index.CHECK,
    duplicates_unique_key.CHECK,
    redundant_index.CHECK,
    fk_without_index.CHECK,
    table_without_pk.CHECK,
    always_true_predicate.CHECK,
    pinned_key_column.CHECK,
    write_amplification.CHECK,
    unused_index.CHECK,
    index_bloat.CHECK,
    unproven_index.CHECK,
)

# Checks whose findings make an index a drop candidate (candidates.py)
COVERED_REASONS = (duplicate_index.ID, duplicates_unique_key.ID, redundant_index.ID)
STANDALONE_REASONS = (unused_index.ID, unproven_index.ID)


def by_id(check_id: str) -> Check | None:
    return next((c for c in CHECKS if c.id == check_id), None)


def select(only: Iterable[str] = (), exclude: Iterable[str] = ()) -> tuple[Check, ...]:
    """The checks to run, in report order; an unknown id is bad input naming the known ones."""
    only, exclude = _ids(only), _ids(exclude)
    for option, ids in (("--only", only), ("--exclude", exclude)):
        unknown = [i for i in ids if by_id(i) is None]
        if unknown:
            known = ", ".join(c.id for c in CHECKS)
            raise UserError(f"{option} {', '.join(unknown)}: unknown check; known: {known}")
    chosen = tuple(c for c in CHECKS if (not only or c.id in only) and c.id not in exclude)
    if not chosen:
        raise UserError("no check left to run: --exclude removes every check --only selects")
    return chosen


def _ids(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip().lower() for item in values for v in item.split(",") if v.strip())
