"""Planning every candidate with every target on its table, in as few rounds as possible.

A round holds one candidate per table (the k-th of each table's list), created together; each
check reading exactly one of the round's tables is planned once and its plan judges that
table's candidate alone. A check reading two of them (a join) is planned again with each of
its candidates alone, so no candidate is credited with another's gain.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest

from plinto_db.advise.candidates import Candidate
from plinto_db.advise.choose import Trial
from plinto_db.advise.cost import Backend
from plinto_db.check.workload import Check


def trial_name(number: int) -> str:
    return f"candidate_{number}"


def run_trials(
    backend: Backend,
    candidates: Sequence[Candidate],
    checks_on: dict[tuple, list[Check]],
    table_of: Sequence[tuple],
) -> list[Trial]:
    """`table_of[i]`: candidate i's (schema, table), a key of `checks_on`."""
    per_table: dict[tuple, list[int]] = {}
    for number, table in enumerate(table_of):
        per_table.setdefault(table, []).append(number)
    reads: dict[str, set[tuple]] = {}
    for table, checks in checks_on.items():
        for check in checks:
            reads.setdefault(check.name, set()).add(table)
    trials: list[Trial] = []
    for batch in zip_longest(*per_table.values()):
        numbers = [n for n in batch if n is not None]
        trials += _round(backend, candidates, numbers, checks_on, table_of, reads)
    return trials


def _round(
    backend: Backend,
    candidates: Sequence[Candidate],
    numbers: list[int],
    checks_on: dict[tuple, list[Check]],
    table_of: Sequence[tuple],
    reads: dict[str, set[tuple]],
) -> list[Trial]:
    tables = {table_of[n]: n for n in numbers}
    checks = {c.name: c for t in tables for c in checks_on.get(t, [])}
    alone = [c for c in checks.values() if len(reads[c.name] & tables.keys()) == 1]
    joined = [c for c in checks.values() if len(reads[c.name] & tables.keys()) > 1]
    trials = []
    with backend.present([(trial_name(n), candidates[n]) for n in numbers]) as aliases:
        costed = backend.plan(alone, aliases) if alone else {}
    for check in alone:
        (table,) = reads[check.name] & tables.keys()
        trials += _trial(tables[table], check.name, costed.get(check.name))
    for check in joined:
        for table in reads[check.name] & tables.keys():
            number = tables[table]
            with backend.present([(trial_name(number), candidates[number])]) as aliases:
                result = backend.plan([check], aliases).get(check.name)
            trials += _trial(number, check.name, result)
    return trials


def _trial(number: int, check: str, result) -> list[Trial]:
    if result is None or result.cost is None:
        return []
    return [Trial(number, check, result.cost, trial_name(number) in result.used)]
