"""Costing candidate indexes on the real statistics: HypoPG, or trial builds rolled back.

Both run inside the one transaction `check` uses (explain.begin_run), which is rolled back at
the end. HypoPG's indexes live in this backend's memory and only plain EXPLAIN sees them;
a trial build is a real CREATE INDEX (not concurrent: it holds a SHARE lock on its table,
which blocks writes) under a savepoint rolled back right after the EXPLAINs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from plinto_db.advise.candidates import Candidate
from plinto_db.check import explain
from plinto_db.check.hypothetical import HYPOTHETICAL_METHODS
from plinto_db.check.modes import RunOptions
from plinto_db.check.planwalk import root_of, walk
from plinto_db.check.workload import Check

TRIAL_PREFIX = "plinto_advise_trial_"
TRIAL_SIZE_SQL = (
    "SELECT pg_relation_size(x.indexrelid) FROM pg_index x "
    "JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = %s"
)


@dataclass(frozen=True)
class Costed:
    """One check planned with some candidates present: its cost and the indexes it used."""

    cost: float | None  # None: the check failed to plan (the error is in `error`)
    used: frozenset[str]  # plan index names (mapped back to ours by the backend)
    error: str | None = None


class Backend:
    """Creates candidates so the planner sees them; maps plan names back to ours."""

    method = ""

    def __init__(self, conn: psycopg.Connection, options: RunOptions):
        self.conn = conn
        self.options = options
        self.sizes: dict[str, int | None] = {}
        self.not_simulated: set[str] = set()  # candidates HypoPG refused (GIN, ...)

    @contextmanager
    def present(self, named: Sequence[tuple[str, Candidate]]) -> Iterator[dict[str, str]]:
        raise NotImplementedError
        yield {}

    def plan_with_values(
        self, checks: Sequence[Check]
    ) -> list[tuple[float | None, tuple[str, ...]]]:
        """Today's cost of each check, and the parameter values its plan used."""
        return [
            (_cost(item.plan) if item.plan is not None else None, item.values)
            for item in explain.explain_all(self.conn, checks, self.options)
        ]

    def plan(self, checks: Sequence[Check], aliases: dict[str, str]) -> dict[str, Costed]:
        found = {}
        for item in explain.explain_all(self.conn, checks, self.options):
            if item.plan is None:
                found[item.check.name] = Costed(None, frozenset(), item.error)
                continue
            used = {aliases.get(n.index, n.index) for n in walk(item.plan) if n.uses_index}
            found[item.check.name] = Costed(_cost(item.plan), frozenset(used))
        return found


class HypoPG(Backend):
    def __init__(self, conn: psycopg.Connection, options: RunOptions):
        from plinto_db.check.hypothetical import ensure_hypopg

        super().__init__(conn, options)
        self.method = ensure_hypopg(conn)

    @contextmanager
    def present(self, named: Sequence[tuple[str, Candidate]]) -> Iterator[dict[str, str]]:
        aliases: dict[str, str] = {}
        created: list[int] = []
        try:
            for name, candidate in named:
                row = self._create(candidate)
                if row is None:
                    self.not_simulated.add(candidate.describe())
                    continue
                oid, plan_name, size = row
                created.append(oid)
                aliases[plan_name] = name
                self.sizes.setdefault(name, int(size) if size is not None else None)
            yield aliases
        finally:
            if created and not self.conn.closed:
                drops = ", ".join(f"hypopg_drop_index({int(oid)})" for oid in created)
                self.conn.execute(f"SELECT {drops}")  # oids: our own integers

    def _create(self, candidate: Candidate) -> tuple[int, str, int | None] | None:
        """One round trip: a savepoint, the hypothetical index and its size, released."""
        statement = sql.Literal(candidate.create_sql("hypo", concurrently=False))
        text = sql.SQL(
            "SAVEPOINT plinto_hypo; SELECT indexrelid, indexname, "
            "hypopg_relation_size(indexrelid) FROM hypopg_create_index({}); "
            "RELEASE SAVEPOINT plinto_hypo"
        ).format(statement)
        try:
            cursor = self.conn.execute(text)
            while cursor.description is None or cursor.description[0].name != "indexrelid":
                if not cursor.nextset():
                    return None
            return cursor.fetchone()
        except psycopg.Error:
            self.conn.execute("ROLLBACK TO SAVEPOINT plinto_hypo; RELEASE SAVEPOINT plinto_hypo")
            return None  # an expression HypoPG cannot simulate: the candidate is not costed


class TrialBuilds(Backend):
    method = "trial builds (each rolled back)"

    @contextmanager
    def present(self, named: Sequence[tuple[str, Candidate]]) -> Iterator[dict[str, str]]:
        self.conn.execute("SAVEPOINT plinto_advise_trial")
        aliases: dict[str, str] = {}
        try:
            for number, (name, candidate) in enumerate(named):
                trial = f"{TRIAL_PREFIX}{number}"
                try:
                    self.conn.execute("SAVEPOINT plinto_advise_one")
                    self.conn.execute(candidate.create_sql(trial, concurrently=False))
                    self.conn.execute("RELEASE SAVEPOINT plinto_advise_one")
                except psycopg.Error as exc:
                    self.conn.execute("ROLLBACK TO SAVEPOINT plinto_advise_one")
                    if isinstance(exc, psycopg.errors.LockNotAvailable):
                        raise
                    continue
                aliases[trial] = name
                if name not in self.sizes:
                    row = self.conn.execute(TRIAL_SIZE_SQL, (trial,)).fetchone()
                    self.sizes[name] = int(row[0]) if row else None
            yield aliases
        finally:
            if not self.conn.closed:
                self.conn.execute("ROLLBACK TO SAVEPOINT plinto_advise_trial")
                self.conn.execute("RELEASE SAVEPOINT plinto_advise_trial")


class HypoPGThenTrials(Backend):
    """HypoPG for what it simulates (btree); a trial build for the rest (GIN)."""

    def __init__(self, conn: psycopg.Connection, options: RunOptions):
        super().__init__(conn, options)
        self.hypo = HypoPG(conn, options)
        self.trials = TrialBuilds(conn, options)
        self.sizes = self.hypo.sizes
        self.trials.sizes = self.sizes
        self.method = f"{self.hypo.method}; trial builds for what it cannot simulate"

    @contextmanager
    def present(self, named: Sequence[tuple[str, Candidate]]) -> Iterator[dict[str, str]]:
        simulated = [(n, c) for n, c in named if c.method in HYPOTHETICAL_METHODS]
        built = [(n, c) for n, c in named if c.method not in HYPOTHETICAL_METHODS]
        with ExitStack() as stack:
            aliases = stack.enter_context(self.hypo.present(simulated)) if simulated else {}
            if built:
                aliases = {**aliases, **stack.enter_context(self.trials.present(built))}
            yield aliases


def choose_backend(conn: psycopg.Connection, options: RunOptions, trial_builds: bool) -> Backend:
    """HypoPG where the server has it (with trial builds for the rest when allowed); trial
    builds alone without it; neither: a UserError saying what to do."""
    from plinto_db.check.hypothetical import hypopg_status
    from plinto_db.errors import UserError

    status, _ = hypopg_status(conn)
    if status == "missing":
        if trial_builds:
            return TrialBuilds(conn, options)
        raise UserError(
            "advise costs candidates with the HypoPG extension, which this server does not "
            "have: install it (postgresql-<major>-hypopg), or pass --trial-builds (each "
            "candidate is built in a transaction and rolled back; that blocks writes to its "
            "table during the build)"
        )
    return HypoPGThenTrials(conn, options) if trial_builds else HypoPG(conn, options)


def _cost(plan: object) -> float | None:
    value = root_of(plan).get("Total Cost")
    return float(value) if isinstance(value, int | float) else None


def refuse_activity(conn: psycopg.Connection, allow: bool) -> str | None:
    """Trial builds block writes to each table while it builds: refuse while others work."""
    from plinto_db.bench import facts

    return facts.refuse_activity(
        facts.other_sessions(conn),
        allow,
        refused="--trial-builds builds each candidate in a transaction, which blocks writes to "
        "its table until it rolls back; advise on a copy, use HypoPG, or pass --allow-activity",
        noted="each trial build blocked writes to its table for the build",
    )
