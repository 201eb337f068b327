"""From the server's plan for a check to its result: walk, resolve names, judge, note why.

Pure code: the facts it needs (the server's indexes and tables, the catalog) were gathered
earlier; nothing here connects to a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plinto_db.check.advice import build_advice
from plinto_db.check.judge import (
    Judgement,
    Use,
    Verdict,
    filtering_predicate,
    index_use,
    judge,
    names_index,
    on_table,
)
from plinto_db.check.modes import Mode
from plinto_db.check.names import Names, QName, resolve
from plinto_db.check.ordering import LazyOrders
from plinto_db.check.planwalk import (
    PlanNode,
    analyze_figures,
    render_tree,
    scan_summary,
    top_rows,
    used_indexes,
    walk,
)
from plinto_db.check.results import CheckResult, Explained
from plinto_db.check.workload import Check, ExpectKind
from plinto_db.pg.facts import ServerFacts


def names_from(
    facts: ServerFacts, aliases: Mapping[str, str], catalog: Sequence[Any] = ()
) -> Names:
    """The server's naming as pure facts; catalog indexes not built are named too."""
    index_parent = {
        (i.schema, i.name): (i.root_schema or i.schema, i.root)
        for i in facts.indexes
        if i.root and (i.root, i.root_schema or i.schema) != (i.name, i.schema)
    }
    table_parent = {
        (t.schema, t.name): (t.root_schema or t.schema, t.root)
        for t in facts.tables
        if t.root and (t.root, t.root_schema or t.schema) != (t.name, t.schema)
    }
    index_table = {
        (i.schema, i.name): table_parent.get((i.schema, i.table), (i.schema, i.table))
        for i in facts.indexes
    }
    schemas: dict[str, list[str]] = {}
    for item in (*facts.tables, *facts.indexes):
        schemas.setdefault(item.name, []).append(item.schema)
    partial = {(i.schema, i.name) for i in facts.indexes if filtering_predicate(i.predicate)}
    for spec in catalog:  # an index only the catalog knows lives in its table's schema
        if facts.index((spec.schema, spec.name)):
            continue
        table = facts.table((spec.schema, spec.table))
        schema = spec.schema or (table.schema if table else None)
        if schema:
            schemas.setdefault(spec.name, []).append(schema)
            index_table[(schema, spec.name)] = (schema, spec.table)
            if filtering_predicate(spec.where):
                partial.add((schema, spec.name))
    return Names(
        index_parent=index_parent,
        index_alias=dict(aliases),
        index_table=index_table,
        table_parent=table_parent,
        partial=frozenset(partial),
        pages={(t.schema, t.name): t.pages for t in facts.tables},
        schemas={name: tuple(dict.fromkeys(found)) for name, found in schemas.items()},
        search_path=facts.search_path,
    )


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
    forced = explained.mode is Mode.FORCED
    verdict, judgements = judge(check, nodes, forced=forced, names=names)
    notes = list(explained.notes)
    notes.extend(note for j in judgements for note in j.notes)
    if verdict is Verdict.FAIL:
        notes.extend(_failure_notes(check, explained.mode, judgements, facts, catalog))
        notes.extend(
            f"{shown}: {index_notes[name]}"
            for expectation in check.expectations
            if expectation.names_indexes
            for (_, name), shown in zip(expectation.names, expectation.shown, strict=True)
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
        proves=proves(check, nodes, names, forced=forced) if verdict is Verdict.PASS else (),
        serving=proves(check, nodes, names, forced=False),
    )


def proves(
    check: Check, nodes: tuple[PlanNode, ...], names: Names, *, forced: bool
) -> tuple[QName, ...]:
    """The indexes a passing plan proves: each one it uses to filter or to order. In forced
    mode, where competitors may have been hidden, only those the check's expectations name
    (or that sit on a table an `index-on` names)."""
    ordered = LazyOrders(check.sql)
    serving = [
        n
        for n in nodes
        if n.uses_index
        and n.index
        and index_use(n, nodes, names, ordered=ordered) is not Use.FULL_READ
    ]
    if forced:
        named = [names.qualify(t) for t in check.indexes()]
        tables = [
            names.qualify(e.names[0]) for e in check.expectations if e.kind is ExpectKind.INDEX_ON
        ]
        serving = [
            n
            for n in serving
            if names_index(n, named) or any(on_table(n, table) for table in tables)
        ]
    return tuple(dict.fromkeys((n.schema, str(n.index)) for n in serving))


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
        expectation = judgement.expectation
        if judgement.passed or not expectation.names_indexes:
            continue
        for name, shown in zip(expectation.names, expectation.shown, strict=True):
            fact = facts.index(name)
            spec = by_name.get(name[1])
            if fact is None and spec is not None and mode is not Mode.HYPOTHETICAL:
                notes.append(
                    f"{shown} is in the catalog but not built in this database "
                    f"({build_advice(spec, facts)})"
                )
            if mode is Mode.GENERIC and check.param_count:
                predicate = fact.predicate if fact else (spec.where if spec else None)
                notes.extend(_generic_notes(check, shown, predicate, spec, fact))
    return notes


def _generic_notes(
    check: Check, shown: str, predicate: str | None, spec: Any, fact: Any
) -> list[str]:
    """What the query's parameters keep a generic plan from doing with the index."""
    from plinto_db.check import generic

    notes = []
    if filtering_predicate(predicate):
        compared = generic.predicate_compared_with_parameter(check.sql, str(predicate))
        if compared:
            notes.append(
                f"{shown} is partial (WHERE {predicate}) and the query compares "
                f"{', '.join(compared)} with a parameter: a generic plan cannot prove the "
                "predicate from $n parameters; only a literal in the query can"
            )
    method = fact.method if fact and fact.method else getattr(spec, "method", None)
    keys = _key_columns(spec, fact)
    # unknown keys give no pattern note: the pattern may well be on a column the index lacks
    if method == "btree" and keys is not None:
        patterns = generic.parameter_patterns(check.sql, keys)
        if patterns:
            notes.append(
                f"{shown}: a generic plan cannot turn {', '.join(patterns)} into a btree index "
                "range; only a known pattern's fixed prefix gives one"
            )
    return notes


def _key_columns(spec: Any, fact: Any) -> frozenset[str] | None:
    """The columns the index's keys use, as the server's index has them (else the catalog's);
    None when neither describes them or a key expression cannot be read."""
    from plinto_db.check import generic

    if fact is not None and fact.keys is not None:
        return generic.key_columns(fact.keys)
    if spec is not None:
        return generic.key_columns(key.expression for key in spec.keys)
    return None
