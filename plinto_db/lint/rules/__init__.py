"""The rule registry: every rule, in the order `--list-rules` shows them."""

from __future__ import annotations

from collections.abc import Sequence

from plinto_db.errors import UserError
from plinto_db.lint.model import Rule
from plinto_db.lint.rules import (
    adding_check_constraint,
    adding_foreign_key_constraint,
    adding_volatile_default,
    changing_column_type,
    concurrent_if_not_exists,
    concurrently_in_transaction,
    concurrently_on_partitioned_table,
    concurrently_with_lock_timeout,
    require_concurrent_index_creation,
    require_concurrent_index_deletion,
    require_concurrent_reindex,
    require_index_name,
    require_lock_timeout,
    setting_not_null,
)
from plinto_db.lint.rules.input_errors import PARSE_ERROR_RULE, UNREADABLE_RULE

RULES: tuple[Rule, ...] = (
    require_concurrent_index_creation.RULE,
    require_concurrent_index_deletion.RULE,
    require_concurrent_reindex.RULE,
    concurrently_in_transaction.RULE,
    concurrent_if_not_exists.RULE,
    concurrently_on_partitioned_table.RULE,
    concurrently_with_lock_timeout.RULE,
    require_index_name.RULE,
    require_lock_timeout.RULE,
    adding_foreign_key_constraint.RULE,
    adding_check_constraint.RULE,
    setting_not_null.RULE,
    changing_column_type.RULE,
    adding_volatile_default.RULE,
    PARSE_ERROR_RULE,
    UNREADABLE_RULE,
)
BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def select(only: Sequence[str] = (), exclude: Sequence[str] = ()) -> tuple[Rule, ...]:
    """The rules to run: `only` these (default all), minus `exclude`; unknown ids are bad input."""
    for option, ids in (("--rule", only), ("--exclude", exclude)):
        unknown = [i for i in ids if i not in BY_ID]
        if unknown:
            raise UserError(
                f"{option} {unknown[0]}: no such rule (plinto-db lint --list-rules shows them)"
            )
    chosen = set(only) or set(BY_ID)
    return tuple(r for r in RULES if r.id in chosen and r.id not in set(exclude))
