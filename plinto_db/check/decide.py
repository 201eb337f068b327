"""From the server's plan for a check to its result: walk, resolve names, judge, note why.

Pure code: the facts it needs (the server's indexes and tables, the catalog) were gathered
earlier; nothing here connects to a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plinto_db.check.judge import Judgement, Verdict, judge
from plinto_db.check.modes import Mode
from plinto_db.check.planwalk import (
    Names,
    analyze_figures,
    render_tree,
    resolve,
    scan_summary,
    top_rows,
    used_indexes,
    walk,
)
from plinto_db.check.results import CheckResult, Explained
from plinto_db.check.workload import Check
from plinto_db.pg.facts import ServerFacts


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
        analyze=analyze_figures(explained.plan) if explained.analyzed else None,
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
