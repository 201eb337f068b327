"""Deciding, in pure code: each check's verdict, and which catalog indexes the checks prove.

Inputs are facts gathered earlier (the workload, the catalog, what the server has, the
plans it returned); nothing here connects to a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plinto_db.check.explain import Explained, Mode
from plinto_db.check.planwalk import (
    Judgement,
    Names,
    PlanNode,
    Verdict,
    judge,
    render_tree,
    resolve,
    scan_summary,
    top_rows,
    used_indexes,
    walk,
)
from plinto_db.check.workload import Check
from plinto_db.pg.facts import ServerFacts

# a table with fewer pages is read faster sequentially than through any index: the planner's
# natural choice there says nothing about the index (seq cost ~ pages; an index probe ~ 4-8)
TINY_TABLE_PAGES = 10


@dataclass(frozen=True)
class CheckResult:
    check: Check
    mode: Mode
    verdict: Verdict
    used: tuple[str, ...]
    scans: tuple[str, ...]
    estimated_rows: float | None
    reasons: tuple[str, ...]  # one per failed expectation, or the error
    notes: tuple[str, ...]
    plan: Any | None
    plan_text: str
    analyze: Mapping[str, float | None] | None = None
    nodes: tuple[PlanNode, ...] = ()  # the plan's nodes, names resolved (partitions, HypoPG)
    error_line: int | None = None  # an error's line (statement or sample), else None

    @property
    def line(self) -> int:
        """Where a report points: an error at its statement (or sample), else the expectation."""
        return self.error_line or self.check.line

    @property
    def location(self) -> str:
        return f"{self.check.file}:{self.line}"

    @property
    def message(self) -> str:
        head = "; ".join(self.reasons) if self.reasons else "ok"
        return head + (f" [{'; '.join(self.notes)}]" if self.notes else "")


class CoverageState(StrEnum):
    PROVEN = "proven"
    UNPROVEN = "unproven"


@dataclass(frozen=True)
class IndexCoverage:
    name: str
    table: str
    state: CoverageState
    reason: str
    proven_by: tuple[str, ...]
    file: str
    line: int


@dataclass(frozen=True)
class CheckRun:
    """Everything one `check` run found, ready for any renderer."""

    mode: Mode
    analyze: bool
    server: str
    target: str
    checks_dir: str
    indexes_dir: str | None
    results: tuple[CheckResult, ...]
    coverage: tuple[IndexCoverage, ...]
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.verdict is not Verdict.PASS)

    @property
    def unproven(self) -> tuple[IndexCoverage, ...]:
        return tuple(c for c in self.coverage if c.state is CoverageState.UNPROVEN)


def names_from(facts: ServerFacts, aliases: Mapping[str, str]) -> Names:
    index_parent = {i.name: i.root for i in facts.indexes if i.root and i.root != i.name}
    table_parent = {t.name: t.root for t in facts.tables if t.root and t.root != t.name}
    index_table = {i.name: table_parent.get(i.table, i.table) for i in facts.indexes}
    return Names(index_parent, dict(aliases), index_table, table_parent)


def decide(
    explained: Explained,
    names: Names,
    *,
    facts: ServerFacts,
    catalog: Sequence[Any] = (),
    index_notes: Mapping[str, str] | None = None,
) -> CheckResult:
    check = explained.check
    if explained.plan is None:
        return CheckResult(
            check=check,
            mode=explained.mode,
            verdict=Verdict.ERROR,
            used=(),
            scans=(),
            estimated_rows=None,
            reasons=(explained.error or "no plan",),
            notes=explained.notes,
            plan=None,
            plan_text="",
            error_line=explained.error_line,
        )
    nodes = resolve(walk(explained.plan), names)
    verdict, judgements = judge(check, nodes, forced=explained.mode is Mode.FORCED)
    notes = list(explained.notes)
    if verdict is Verdict.FAIL:
        notes.extend(_failure_notes(check, explained.mode, judgements, facts, catalog))
        notes.extend(
            f"{name}: {index_notes[name]}"
            for name in check.index_names()
            if index_notes and name in index_notes
        )
    analyze = None
    if explained.analyzed:
        from plinto_db.check.planwalk import analyze_figures

        analyze = analyze_figures(explained.plan)
    return CheckResult(
        check=check,
        mode=explained.mode,
        verdict=verdict,
        used=used_indexes(nodes),
        scans=scan_summary(nodes),
        estimated_rows=top_rows(explained.plan),
        reasons=tuple(j.reason for j in judgements if not j.passed),
        notes=tuple(notes),
        plan=explained.plan,
        plan_text=render_tree(explained.plan),
        analyze=analyze,
        nodes=nodes,
    )


def _failure_notes(
    check: Check,
    mode: Mode,
    judgements: Sequence[Judgement],
    facts: ServerFacts,
    catalog: Sequence[Any],
) -> list[str]:
    notes = []
    by_name = {spec.name: spec for spec in catalog}
    for judgement in judgements:
        if judgement.passed or not judgement.expectation.names_indexes:
            continue
        for name in judgement.expectation.targets:
            fact = facts.index(name)
            spec = by_name.get(name.rsplit(".", 1)[-1])
            if fact is None and spec is not None and mode is not Mode.HYPOTHETICAL:
                notes.append(
                    f"{name} is in the catalog but not built in this database "
                    "(run plinto-db apply, or check with --mode hypothetical)"
                )
            predicate = fact.predicate if fact else (spec.where if spec else None)
            if mode is Mode.GENERIC and predicate and check.param_count:
                notes.append(
                    f"{name} is partial (WHERE {predicate}): a generic plan cannot prove the "
                    "predicate from $n parameters; only a literal in the query can"
                )
    return notes


def tiny_tables(
    check: Check, facts: ServerFacts, catalog_tables: Mapping[str, str] | None = None
) -> tuple[tuple[str, int], ...]:
    """The check's tables (named, or owning a named index) too small for a natural plan.

    `catalog_tables`: catalog index -> table, for indexes not built (yet) in the database.
    """
    found: dict[str, int] = {}
    for table in _check_tables(check, facts, catalog_tables):
        fact = facts.table(table)
        if fact is None:
            continue
        if fact.kind == "r" and fact.pages < TINY_TABLE_PAGES:
            found[fact.name] = fact.pages
        elif fact.kind == "p":
            leaves = _leaves(fact, facts)
            pages = sum(leaf.pages for leaf in leaves)
            if leaves and pages < TINY_TABLE_PAGES:
                found[fact.name] = pages
    return tuple(found.items())


def _leaves(fact: Any, facts: ServerFacts) -> tuple[Any, ...]:
    """The plain-table partitions under a partitioned table (all levels; any schema)."""
    return tuple(t for t in facts.tables if t.kind == "r" and t.root == fact.name)


def never_analyzed(
    checks: Sequence[Check], facts: ServerFacts, catalog_tables: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    found = []
    for check in checks:
        for table in _check_tables(check, facts, catalog_tables):
            fact = facts.table(table)
            if fact is None:
                continue
            if fact.kind == "r" and not fact.analyzed:
                found.append(fact.name)
            elif fact.kind == "p":
                # an empty partition created ahead of time is normal; none analyzed is not
                leaves = _leaves(fact, facts)
                if leaves and not any(leaf.analyzed for leaf in leaves):
                    found.append(fact.name)
    return tuple(dict.fromkeys(found))


def _check_tables(
    check: Check, facts: ServerFacts, catalog_tables: Mapping[str, str] | None
) -> tuple[str, ...]:
    tables = list(check.tables())
    for name in check.index_names():
        fact = facts.index(name)
        if fact is not None:
            tables.append(fact.table)
        elif catalog_tables and name.rsplit(".", 1)[-1] in catalog_tables:
            tables.append(catalog_tables[name.rsplit(".", 1)[-1]])
    return tuple(dict.fromkeys(tables))


def coverage(
    catalog: Sequence[Any],
    results: Sequence[CheckResult],
    names: Names,
    *,
    present: set[str] | None = None,
    skipped: Mapping[str, str] | None = None,
) -> tuple[IndexCoverage, ...]:
    """Each catalog index: proven by a passing check's plan, or unproven with the closest reason.

    `present`: index names the server has (built, or created hypothetically); None = all.
    """
    return tuple(_cover(spec, results, names, present, skipped or {}) for spec in catalog)


def _cover(
    spec: Any,
    results: Sequence[CheckResult],
    names: Names,
    present: set[str] | None,
    skipped: Mapping[str, str],
) -> IndexCoverage:
    name, table = spec.name, spec.table

    def make(state: CoverageState, reason: str, by: tuple[str, ...] = ()) -> IndexCoverage:
        return IndexCoverage(name, table, state, reason, by, str(spec.file), spec.line)

    if present is not None and name not in present:
        why = skipped.get(name) or "run plinto-db apply, or check with --mode hypothetical"
        return make(CoverageState.UNPROVEN, f"not built in the database ({why})")

    proven = tuple(r.check.name for r in results if r.verdict is Verdict.PASS and name in r.used)
    if proven:
        return make(CoverageState.PROVEN, f"used by {', '.join(proven)}", proven)
    failing = tuple(r.check.name for r in results if name in r.used)
    if failing:
        return make(CoverageState.UNPROVEN, f"used only by failing checks: {', '.join(failing)}")
    expecting = [  # an expectation may name it schema-qualified (`app.users_email_idx`)
        r for r in results if name in {n.rsplit(".", 1)[-1] for n in r.check.index_names()}
    ]
    touching = [r for r in results if any(n.relation == table for n in r.nodes)]
    if expecting and all(r.verdict is Verdict.ERROR for r in expecting):
        checks = ", ".join(r.check.name for r in expecting)
        return make(
            CoverageState.UNPROVEN,
            f"the checks that expect it could not be explained: {checks}",
        )
    expecting = [r for r in expecting if r.verdict is not Verdict.ERROR]
    if expecting:
        first = expecting[0]
        chosen = _chosen_on(first, table)
        return make(
            CoverageState.UNPROVEN,
            f"a cheaper plan wins: {first.check.name} expects it, the plan uses {chosen}",
        )
    if touching:
        others = sorted({i for r in touching for i in _chosen_on_list(r, table)})
        used = ", ".join(others[:4]) + (", ..." if len(others) > 4 else "")
        checks = ", ".join(r.check.name for r in touching[:3]) + (
            ", ..." if len(touching) > 3 else ""
        )
        leading = spec.keys[0].column if getattr(spec, "keys", None) else None
        if leading and not any(_mentions(r.check.sql, leading) for r in touching):
            return make(
                CoverageState.UNPROVEN,
                f"no query uses it: no check on {table} ({checks}) filters or sorts by {leading}",
            )
        if spec.where and not _NOT_NULL_ONLY.match(spec.where.strip()):
            return make(
                CoverageState.UNPROVEN,
                f"a predicate the queries never imply (WHERE {spec.where}): "
                f"checks on {table} ({checks}) use {used or 'a sequential scan'}",
            )
        return make(
            CoverageState.UNPROVEN,
            f"a cheaper index wins: checks on {table} ({checks}) use {used or 'a sequential scan'}",
        )
    return make(CoverageState.UNPROVEN, f"no query uses it: no check reads {table}")


# `col IS NOT NULL` is implied by any strict operator on col: never the reason an index is unused
_NOT_NULL_ONLY = re.compile(r"^\(?\s*[\w.\"]+\s+IS\s+NOT\s+NULL\s*\)?$", re.IGNORECASE)


def _mentions(sql: str, column: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(column)}(?![\w$])", sql, re.IGNORECASE) is not None


def _chosen_on_list(result: CheckResult, table: str) -> list[str]:
    return [
        n.index or "a sequential scan"
        for n in result.nodes
        if n.relation == table and (n.uses_index or n.is_seqscan)
    ]


def _chosen_on(result: CheckResult, table: str) -> str:
    chosen = _chosen_on_list(result, table)
    return ", ".join(dict.fromkeys(chosen)) if chosen else "no scan of " + table
