"""Drop candidates: what a DBA acts on, decided from the findings (pure).

An index becomes a candidate when a check found it a duplicate, redundant, a copy of a unique
key (each needs a covering index that stays), unused, or unproven by the workload. Never a
candidate: an index that backs a constraint, is referenced by a foreign key, is the replica
identity or belongs to a partitioned index; a unique index without a unique index that
implies it; the index another candidate relies on as its cover; and the last index that
supports a foreign key once the others are gone. Each refusal is kept with its reason.
Doctor prints the statements; it never runs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plinto_db.doctor.compare import fk_covered_by, fk_covers, usable
from plinto_db.doctor.model import Facts, Finding, IndexFact, drop_statement


@dataclass(frozen=True)
class DropCandidate:
    index: IndexFact
    reasons: tuple[str, ...]  # the check ids that found it
    covered_by: IndexFact | None
    statement: str


@dataclass(frozen=True)
class Kept:
    index: IndexFact
    reasons: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class DropPlan:
    candidates: tuple[DropCandidate, ...] = ()
    kept: tuple[Kept, ...] = ()

    @property
    def reclaimable(self) -> int:
        return sum(c.index.size for c in self.candidates)


def plan(
    findings: Sequence[Finding],
    facts: Facts,
    *,
    covered: Iterable[str],
    standalone: Iterable[str],
) -> DropPlan:
    covered, standalone = set(covered), set(standalone)
    by_index: dict[int, list[Finding]] = {}
    for finding in findings:
        if finding.index is not None and finding.check in covered | standalone:
            by_index.setdefault(finding.index.oid, []).append(finding)
    chosen: dict[int, DropCandidate] = {}
    kept: list[Kept] = []

    def narrow_first(oid: int) -> tuple:
        index = by_index[oid][0].index
        return (len(index.keys), index.qualified_name)

    for oid in sorted(by_index, key=narrow_first):
        found = by_index[oid]
        index = found[0].index
        reasons = tuple(dict.fromkeys(f.check for f in found))
        why, cover = _refusal(index, found, covered, chosen, facts)
        if why:
            kept.append(Kept(index, reasons, why))
            continue
        chosen[oid] = DropCandidate(index, reasons, cover, drop_statement(index))

    def by_name(item: DropCandidate | Kept) -> tuple[str, str]:
        return (item.index.qualified_table, item.index.qualified_name)

    return DropPlan(tuple(sorted(chosen.values(), key=by_name)), tuple(sorted(kept, key=by_name)))


def _refusal(
    index: IndexFact,
    found: list[Finding],
    covered: set[str],
    chosen: dict[int, DropCandidate],
    facts: Facts,
) -> tuple[str | None, IndexFact | None]:
    """(why it must stay, None) or (None, the index that covers it, if any)."""
    if index.protected:
        return f"it {index.protected}", None
    covers = [f.covered_by for f in found if f.check in covered and f.covered_by is not None]
    cover = next((c for c in covers if c.oid not in chosen), None)
    if covers and cover is None:
        return "every index that covers it is itself a drop candidate: drop one at a time", None
    if index.unique and cover is None:
        return "it enforces uniqueness", None
    relied_on = [
        c.index.qualified_name
        for c in chosen.values()
        if c.covered_by is not None and c.covered_by.oid == index.oid
    ]
    if relied_on:
        return f"it covers {', '.join(relied_on)}, which is a drop candidate", None
    gone = set(chosen) | {index.oid}
    remaining = [i for i in facts.indexes_on(index.table_oid) if usable(i) and i.oid not in gone]
    for fk in facts.foreign_keys_on(index.table_oid):
        supports = fk_covered_by(fk, index, facts.equality_operators)
        if supports and not fk_covers(fk, remaining, facts.equality_operators):
            return f"it is the only index left that supports foreign key {fk.name}", None
    return None, cover
