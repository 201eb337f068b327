"""advise on one connection: gather the facts, cost every candidate, choose, verify.

Runs inside the transaction run.py opened (and rolls back); the decisions are made by the
pure rooms (query, candidates, choose, redundancy).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from plinto_db.advise import choose, redundancy
from plinto_db.advise.candidates import Candidate, candidates_for
from plinto_db.advise.cost import Backend
from plinto_db.advise.model import AdviseRun, Proposal, Served, Target, cost_text
from plinto_db.advise.query import TableUse, table_uses
from plinto_db.advise.trials import run_trials, trial_name
from plinto_db.check.judge import Verdict
from plinto_db.check.modes import Mode, RunOptions
from plinto_db.check.workload import Check

if TYPE_CHECKING:
    from plinto_db.check.results import CheckResult, CheckRun
    from plinto_db.doctor.model import Facts, IndexFact
    from plinto_db.pg.facts import ServerFacts, TableFact

SMALL_FRACTION = 0.3  # a constant predicate keeping at most this share of rows: partial index
MAX_NAME = 63

DISTINCT_SQL = """
SELECT s.attname::text,
       CASE WHEN s.n_distinct < 0 THEN -s.n_distinct * greatest(c.reltuples, 0)
            ELSE s.n_distinct END
FROM pg_stats s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
WHERE s.schemaname = %s AND s.tablename = %s
"""


@dataclass
class State:
    """What advise learned before costing anything."""

    targets: list[tuple[Check, str]]  # (check, why it is a target)
    skipped: list[tuple[str, str]]
    server: ServerFacts
    doctor: Facts
    columns_of: dict[str, frozenset[str]] = field(default_factory=dict)
    others: list[Check] = field(default_factory=list)  # the checks that need nothing
    forced: set[str] = field(default_factory=set)  # checks check ran forced (tiny tables)


def gather(conn: psycopg.Connection, today: CheckRun, min_pages: int) -> State:
    from plinto_db.doctor.gather import gather as doctor_gather
    from plinto_db.doctor.model import Need
    from plinto_db.pg.facts import gather_facts

    server = gather_facts(conn)
    doctor = doctor_gather(conn, {Need.INDEXES, Need.TABLES})
    state = State([], [], server, doctor)
    for result in today.results:
        why = _why_target(result, server, min_pages)
        if result.mode is Mode.FORCED:
            state.forced.add(result.check.name)
        if why.startswith("skip:"):
            state.skipped.append((result.check.name, why.removeprefix("skip: ")))
        if why and not why.startswith("skip:"):
            state.targets.append((result.check, why))
        elif result.verdict is not Verdict.ERROR:
            state.others.append(result.check)
    columns: dict[str, set[str]] = {}
    for table in doctor.tables:
        columns.setdefault(table.name, set()).update(table.columns.values())
    state.columns_of = {k: frozenset(v) for k, v in columns.items()}
    return state


def _why_target(result: CheckResult, server: ServerFacts, min_pages: int) -> str:
    """Why a check needs advice ("" when it does not; "skip: ..." when it cannot get any)."""
    if result.verdict is Verdict.ERROR:
        return f"skip: its plan failed ({'; '.join(result.reasons)[:120]})"
    if result.mode is Mode.FORCED:
        if result.verdict is Verdict.FAIL:  # the check asks for an index even there
            return "fails (a table under 10 pages, planned forced): " + "; ".join(result.reasons)
        return "skip: its tables are too small to matter (check ran it forced)"
    for node in result.nodes:
        if not node.is_seqscan or not node.relation:
            continue
        table = server.table((node.schema, node.relation))
        if table is not None and table.pages >= min_pages:
            return f"reads {node.relation} ({table.pages:,} pages) sequentially"
    if result.verdict is Verdict.FAIL:
        return "fails: " + "; ".join(result.reasons)
    return ""


def backend(conn: psycopg.Connection, options: RunOptions, trial_builds: bool) -> Backend:
    from plinto_db.advise.cost import choose_backend

    return choose_backend(conn, options, trial_builds)


@dataclass
class _Pool:
    """Every candidate, the checks each is tried with, and what each table's checks are."""

    candidates: list[Candidate] = field(default_factory=list)
    facts: list[IndexFact | None] = field(default_factory=list)
    checks_on: dict[tuple, list[Check]] = field(default_factory=dict)
    distinct: dict[tuple, dict[str, float]] = field(default_factory=dict)  # per table
    fractions: dict[tuple, float | None] = field(default_factory=dict)  # (table, predicate)


def advise(conn: psycopg.Connection, backend: Backend, state: State, min_gain: float) -> AdviseRun:
    run = AdviseRun("", "", backend.method, "", min_gain, skipped=tuple(state.skipped))
    checks, before = _baseline(backend, state, run)
    if not checks:
        run.targets = tuple(Target(c.name, str(c.file), why) for c, why in state.targets)
        return run
    pool = _pool(conn, checks, state, run)
    table_of = [(_schema(c, pool), c.table) for c in pool.candidates]
    trials = run_trials(backend, pool.candidates, pool.checks_on, table_of)
    run.candidates_costed = len(pool.candidates) - len(backend.not_simulated)
    if backend.not_simulated:
        run.notes.append(
            f"{len(backend.not_simulated)} candidate(s) not costed, HypoPG cannot simulate "
            f"them ({'; '.join(sorted(backend.not_simulated)[:3])}): --trial-builds builds "
            "them in the rolled-back transaction"
        )
    serves = choose.serving(trials, before, min_gain)
    sizes = {i: backend.sizes.get(trial_name(i)) for i in range(len(pool.candidates))}
    chosen = choose.greedy(serves, pool.candidates, sizes)
    chosen = choose.merge(chosen, lambda w, n: _covers(pool, w, n))
    proposals = _verify(backend, pool, chosen, checks, before, min_gain, state, sizes)
    run.proposals = tuple(_taken_over(backend, proposals, checks, state))
    best = _best_tries(trials, pool.candidates)
    run.targets = _outcomes(state, before, run.proposals, best, min_gain)
    return run


def _baseline(
    backend: Backend, state: State, run: AdviseRun
) -> tuple[list[Check], dict[str, float]]:
    """Today's cost of each target; its parameter values fixed so later plans reuse them."""
    checks = [check for check, _ in state.targets]
    costed = backend.plan_with_values(checks)
    fixed, before = [], {}
    for check, (cost, values) in zip(checks, costed, strict=True):
        if cost is None:
            run.notes.append(f"{check.name}: could not plan it today; not advised")
            continue
        if check.param_count:
            check = replace(check, params=values, sample=None)
        fixed.append(check)
        # forced (a tiny table): the check wants an index where the planner rightly would
        # not; any candidate the forced plan uses serves it
        before[check.name] = math.inf if check.name in state.forced else cost
    return fixed, before


def _pool(conn: psycopg.Connection, checks: list[Check], state: State, run: AdviseRun) -> _Pool:
    pool = _Pool()
    seen: dict[tuple, int] = {}
    built = tuple(redundancy.comparable(i) for i in state.doctor.indexes)
    for check in checks:
        for use in table_uses(check.sql, state.columns_of):
            table = state.server.table((use.schema, use.table))
            doctor_table = _doctor_table(state, table)
            if table is None or doctor_table is None or table.kind != "r":
                continue
            pool.checks_on.setdefault((table.schema, table.name), []).append(check)
            use.schema = table.schema if use.schema else None
            key = (table.schema, table.name)
            if key not in pool.distinct:
                pool.distinct[key] = _distinct(conn, table)
            distinct = pool.distinct[key]
            small = _small_predicates(conn, use, table, pool.fractions)
            for candidate in candidates_for(use, distinct, small):
                if candidate.identity in seen:
                    continue
                fact = redundancy.candidate_fact(candidate, doctor_table, -(len(seen) + 1))
                if fact is not None and redundancy.existing_cover(fact, built) is not None:
                    continue
                seen[candidate.identity] = len(pool.candidates)
                pool.candidates.append(candidate)
                pool.facts.append(fact)
    return pool


def _doctor_table(state: State, table: TableFact | None):
    if table is None:
        return None
    return next(
        (t for t in state.doctor.tables if t.schema == table.schema and t.name == table.name),
        None,
    )


def _distinct(conn: psycopg.Connection, table: TableFact) -> dict[str, float]:
    from plinto_db.pg.identifiers import quote_ident

    rows = conn.execute(DISTINCT_SQL, (table.schema, table.name)).fetchall()
    return {quote_ident(name): float(n or 0) for name, n in rows}


def _small_predicates(
    conn: psycopg.Connection, use: TableUse, table: TableFact, known: dict[tuple, float | None]
) -> set[str]:
    """The constant predicates that keep at most SMALL_FRACTION of the table's rows."""
    if table.tuples <= 0:
        return set()
    for _key, predicate in use.constants:
        if (table.schema, table.name, predicate) not in known:
            known[(table.schema, table.name, predicate)] = _fraction(conn, table, predicate)
    return {
        p
        for _, p in use.constants
        if (share := known[(table.schema, table.name, p)]) is not None and share <= SMALL_FRACTION
    }


def _fraction(conn: psycopg.Connection, table: TableFact, predicate: str) -> float | None:
    """The planner's estimate of the share of rows `predicate` keeps."""
    query = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE {}").format(
        sql.Identifier(table.schema, table.name), sql.SQL(predicate)
    )
    try:
        with conn.transaction():
            plan = conn.execute(query).fetchone()[0]
    except psycopg.Error:
        return None
    return plan[0]["Plan"].get("Plan Rows", table.tuples) / table.tuples


def _schema(candidate: Candidate, pool: _Pool) -> str | None:
    if candidate.schema is not None:
        return candidate.schema
    keys = [k for k in pool.checks_on if k[1] == candidate.table]
    return keys[0][0] if keys else None


def _covers(pool: _Pool, wide: int, narrow: int) -> bool:
    a, b = pool.facts[wide], pool.facts[narrow]
    return a is not None and b is not None and redundancy.proposal_covers(a, b)


def _verify(
    backend: Backend,
    pool: _Pool,
    chosen: dict[int, set[str]],
    checks: list[Check],
    before: dict[str, float],
    min_gain: float,
    state: State,
    sizes: dict[int, int | None],
) -> list[Proposal]:
    """Plan every target with all the chosen indexes present; keep what the plans use."""
    names = _names(pool, sorted(chosen), state)
    kept = sorted(chosen)
    for _attempt in range(3):
        named = [(names[i], pool.candidates[i]) for i in kept]
        with backend.present(named) as aliases:
            costed = backend.plan(checks, aliases)
        serves: dict[int, list[Served]] = {i: [] for i in kept}
        for check_name, result in costed.items():
            base = before[check_name]
            if result.cost is None or result.cost > base * (1 - min_gain):
                continue
            for i in kept:
                if names[i] in result.used:
                    serves[i].append(Served(check_name, base, result.cost))
        unused = [i for i in kept if not serves[i]]
        if not unused:
            break
        kept = [i for i in kept if serves[i]]
    return [Proposal(names[i], pool.candidates[i], tuple(serves[i]), sizes.get(i)) for i in kept]


def _taken_over(
    backend: Backend, proposals: list[Proposal], targets: list[Check], state: State
) -> list[Proposal]:
    """Each proposal with the other checks whose plans it would change to use it."""
    served = {s.check for p in proposals for s in p.serves}
    checks = [c for c in targets if c.name not in served] + state.others
    if not proposals or not checks:
        return proposals
    with backend.present([(p.name, p.candidate) for p in proposals]) as aliases:
        costed = backend.plan(checks, aliases)
    return [
        replace(p, also_used_by=tuple(n for n, r in costed.items() if p.name in r.used))
        for p in proposals
    ]


def _names(pool: _Pool, chosen: Sequence[int], state: State) -> dict[int, str]:
    taken = {i.name for i in state.doctor.indexes}
    names = {}
    for i in chosen:
        base = _name(pool.candidates[i])
        name, n = base, 2
        while name in taken:
            suffix = f"_{n}"
            name, n = base[: MAX_NAME - len(suffix)] + suffix, n + 1
        taken.add(name)
        names[i] = name
    return names


def _name(candidate: Candidate) -> str:
    """adv_<table>_<keys>[_incl][_<predicate's value>]: says what it is, never a catalog name."""
    parts = ["adv", candidate.table, *(_slug(k.text) for k in candidate.keys)]
    if candidate.method != "btree":
        parts.append(candidate.method)
    if candidate.include:
        parts.append("incl")
    if candidate.where:  # the value it keeps (`'retrying'`), else its words (`deleted_at_null`)
        literals = re.findall(r"'([^']*)'", candidate.where)
        parts.append(_slug(literals[-1] if literals else candidate.where.replace(" IS ", " ")))
    return "_".join(p for p in parts if p)[:MAX_NAME].rstrip("_")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _best_tries(
    trials: list[choose.Trial], candidates: list[Candidate]
) -> dict[str, tuple[float, str]]:
    """Each check's cheapest plan that used a candidate: (cost, the candidate)."""
    best: dict[str, tuple[float, str]] = {}
    for t in trials:
        if t.used and (t.check not in best or t.cost < best[t.check][0]):
            best[t.check] = (t.cost, candidates[t.candidate].describe())
    return best


def _outcomes(
    state: State,
    before: dict[str, float],
    proposals: tuple[Proposal, ...],
    best: dict[str, tuple[float, str]],
    min_gain: float,
) -> tuple[Target, ...]:
    served: dict[str, list[str]] = {}
    after: dict[str, float] = {}
    for proposal in proposals:
        for item in proposal.serves:
            served.setdefault(item.check, []).append(proposal.name)
            after[item.check] = item.after
    targets = []
    for check, why in state.targets:
        cost = before.get(check.name)
        if check.name in served:
            names = ", ".join(served[check.name])
            outcome = f"served by {names} ({cost_text(cost)} → {cost_text(after[check.name])})"
        elif cost is None:
            outcome = "could not be planned"
        elif check.name in best:
            tried, what = best[check.name]
            outcome = (
                f"no candidate cuts its cost by {min_gain:.0%}: the best, {what}, "
                f"{cost_text(cost)} → {cost_text(tried)} (-{1 - tried / cost:.0%})"
            )
        else:
            outcome = "no candidate the planner would use"
        targets.append(Target(check.name, str(check.file), why, cost, outcome))
    return tuple(targets)
