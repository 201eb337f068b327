"""Planning captured statements as `check` will, and reading today's plan as expectations.

Each statement becomes a provisional check (its sample, an expectation naming its tables) and
goes through check's own EXPLAIN machinery: natural mode with the sampled values (forced,
as check does it, where a table is under 10 pages), or generic mode where no value could be
drawn for a parameter or the sample found no row. Today's plan then says what to expect:
`index NAME` for every index the plan filters or orders through; `no-seqscan TABLE` for a
table of 10 pages or more read sequentially with a filter (an index could serve it: the check
fails until one does, which is what `advise` looks for); `seqscan TABLE` for a sequential read
that is right (a small table, or no filter: the whole table is wanted); `index-on TABLE` for a
table read only by a full index scan. Finally the file's own text is parsed and judged on the
same plan, so what capture writes is what `check` reads, with the verdict it gives today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg

from plinto_db.check.display import shown
from plinto_db.check.modes import TINY_TABLE_PAGES, Mode, RunOptions
from plinto_db.check.results import CheckResult, Explained
from plinto_db.check.workload import Check, parse_check
from plinto_db.pg.facts import ServerFacts


@dataclass(frozen=True)
class Draft:
    """A chosen statement ready to plan: its file, its SQL, its sample (None: generic)."""

    queryid: int
    path: Path
    sql: str
    tables: tuple[tuple[str, str], ...]  # resolved (schema, name), the main table first
    sample: str | None
    generic_reason: str | None  # why it plans generically (None: it has values, or none needed)


@dataclass(frozen=True)
class Planned:
    draft: Draft
    mode: Mode
    expectations: tuple[str, ...]
    sample: str | None
    note: str  # the "Planned … when captured" line
    error: str | None = None  # could not be planned: the server's message
    explained: Explained | None = None


def plan_drafts(
    conn: psycopg.Connection, drafts: Sequence[Draft], facts: ServerFacts, timeout_ms: int
) -> tuple[Planned, ...]:
    """Plan every draft (natural where it has values, else generic) and read expectations."""
    unreadable = {d.queryid: _unreadable(d) for d in drafts}
    drafts = [d for d in drafts if unreadable[d.queryid] is None]
    natural = [d for d in drafts if d.generic_reason is None]
    results = dict(_explain(conn, natural, facts, Mode.NATURAL, timeout_ms))
    no_row = "returned no rows"
    retry = [
        replace(d, generic_reason="the sample query found no row", sample=None)
        for d in natural
        if results[d.queryid].error and no_row in str(results[d.queryid].error)
    ]
    generic = [d for d in drafts if d.generic_reason is not None] + retry
    results.update(_explain(conn, generic, facts, Mode.GENERIC, timeout_ms))
    by_id = {d.queryid: d for d in [*natural, *generic]}
    planned = {d.queryid: _planned(by_id[d.queryid], results[d.queryid], facts) for d in drafts}
    for queryid, error in unreadable.items():
        if error is not None:
            planned[queryid] = error
    return tuple(planned.values())


def _unreadable(draft: Draft) -> Planned | None:
    """A draft check's own reader refuses (so would `check`): planned as an error."""
    from plinto_db.errors import UserError

    try:
        provisional(draft)
    except UserError as exc:
        return Planned(draft, Mode.NATURAL, (), None, "", error=exc.message.split(": ", 1)[-1])
    return None


def provisional(draft: Draft) -> Check:
    """The draft as a check whose expectations name its tables (for check's machinery)."""
    lines = [f"-- expect: seqscan {shown(schema, name)}" for schema, name in draft.tables]
    if draft.sample and draft.generic_reason is None:
        lines.append(f"-- sample: {draft.sample}")
    return parse_check("\n".join([*lines, draft.sql]) + "\n", draft.path)


def _explain(
    conn: psycopg.Connection,
    drafts: Sequence[Draft],
    facts: ServerFacts,
    mode: Mode,
    timeout_ms: int,
) -> list[tuple[int, Explained]]:
    from plinto_db.check import explain, guard

    if not drafts:
        return []
    checks = [provisional(d) for d in drafts]
    forced = {c.name: guard.tiny_tables(c, facts) for c in checks}
    reasons = {
        name: "forced: "
        + ", ".join(f"{table} has {pages} page(s)" for table, pages in tables)
        + ", too small for a natural plan to show index use"
        for name, tables in forced.items()
        if tables
    }
    options = RunOptions(
        mode=mode,
        statement_timeout_ms=timeout_ms,
        forced_checks=frozenset(reasons),
        forced_reasons=reasons,
        read_only=True,  # capture hides no index: it reports the plan the server chooses
    )
    explain.begin_run(conn, options)
    try:
        explained = explain.explain_all(conn, checks, options)
    finally:
        if not conn.closed:
            conn.execute("ROLLBACK")
    return [(d.queryid, e) for d, e in zip(drafts, explained, strict=True)]


def _planned(draft: Draft, explained: Explained, facts: ServerFacts) -> Planned:
    from plinto_db.check.decide import decide, names_from

    sample = draft.sample if draft.generic_reason is None else None
    if explained.plan is None:
        return Planned(draft, explained.mode, (), sample, "", error=explained.error)
    result = decide(explained, names_from(facts, {}), facts=facts)
    expectations = expectations_from(result, facts)
    note = _note(draft, explained)
    return Planned(draft, explained.mode, expectations, sample, note, explained=explained)


def judge_today(
    planned: Planned, text: str, path: Path, facts: ServerFacts
) -> tuple[str, tuple[str, ...]]:
    """The file as `check` reads it, judged on the plan it was written from: its verdict
    today and the reasons it fails (a `no-seqscan` on a table read sequentially)."""
    from plinto_db.check.decide import decide, names_from

    assert planned.explained is not None
    check = parse_check(text, path)
    result = decide(replace(planned.explained, check=check), names_from(facts, {}), facts=facts)
    return result.verdict.value, result.reasons


def expectations_from(result: CheckResult, facts: ServerFacts) -> tuple[str, ...]:
    """What today's plan says the check should expect, in plan order."""
    serving = set(result.serving)
    found: dict[str, None] = {}
    indexed: set[tuple[str | None, str]] = set()
    for node in result.nodes:
        if node.uses_index and node.index and (node.schema, node.index) in serving:
            found[f"index {shown(node.schema, node.index)}"] = None
            indexed.add((node.schema, node.relation or ""))
    for node in result.nodes:
        if not node.relation:
            continue
        table = shown(node.schema, node.relation)
        if node.is_seqscan:
            big = _pages(facts, node.schema, node.relation) >= TINY_TABLE_PAGES
            found[f"{'no-seqscan' if big and node.filter else 'seqscan'} {table}"] = None
        elif node.uses_index and (node.schema, node.relation) not in indexed:
            # a full read: in forced mode it stands for the sequential scan it replaced
            found[f"{'seqscan' if result.mode is Mode.FORCED else 'index-on'} {table}"] = None
    return tuple(found)


def _pages(facts: ServerFacts, schema: str | None, name: str) -> int:
    fact = facts.table((schema, name))
    if fact is None:
        return 0
    if fact.kind == "p":
        from plinto_db.check.guard import _leaves  # check's own reading of partitions

        return sum(leaf.pages for leaf in _leaves(fact, facts))
    return fact.pages


def _note(draft: Draft, explained: Explained) -> str:
    forced = next((n for n in explained.notes if n.startswith("forced:")), None)
    if explained.mode is Mode.GENERIC or draft.generic_reason:
        return (
            f"Planned generic when captured ({draft.generic_reason}): check this file with "
            "`plinto-db check --mode generic`."
        )
    how = "parameter values sampled from the columns they are compared with"
    if not explained.check.param_count:
        how = "no parameters"
    mode = "forced" if forced else "natural"
    extra = f"; {forced.removeprefix('forced: ')}" if forced else ""
    return f"Planned {mode} when captured ({how}{extra})."
