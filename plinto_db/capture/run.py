"""The `capture` use case: pg_stat_statements -> the statements that matter -> check files.

    run = run_capture(CaptureRequest(dsn=..., out=Path("checks/captured")))

Read (pg_stat_statements, the server's tables and columns) -> choose (pure: classify, rank,
cut) -> sample and plan (check's own EXPLAIN machinery) -> write (one file per statement,
never over a file a person edited). Bad input raises UserError (exit 2) before anything
connects where it can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from plinto_db.capture.choose import Choice, Chosen, RankBy
from plinto_db.capture.files import GENERIC_FOLDER, Existing, FileState, Numbers
from plinto_db.errors import UserError

if TYPE_CHECKING:
    import psycopg

    from plinto_db.capture.plan import Draft, Planned
    from plinto_db.capture.statements import Classified, QName
    from plinto_db.pg.facts import ServerFacts


class Action(StrEnum):
    WRITTEN = "written"  # a new statement: a new file
    REFRESHED = "refreshed"  # capture's own file: its numbers line rewritten
    UNCHANGED = "unchanged"  # capture's own file, the numbers the same
    LEFT_ALONE = "left alone"  # a file a person edited (or did not come from capture)
    SKIPPED = "skipped"  # chosen, but could not be planned or reads no table


@dataclass(frozen=True)
class CaptureRequest:
    dsn: str | Callable[[], str]
    out: Path = Path("checks/captured")
    by: RankBy = RankBy.TOTAL
    cover: float | None = 0.9
    top: int | None = None
    min_calls: int = 1
    schemas: tuple[str, ...] = ()
    statement_timeout_ms: int = 30_000


@dataclass(frozen=True)
class Outcome:
    queryid: int
    action: Action
    path: Path | None
    numbers: Numbers
    share: float  # by the ranking measure
    mode: str | None = None  # natural, forced, generic: how it was planned when written
    expectations: tuple[str, ...] = ()
    verdict: str | None = None  # what check says today on the plan it was written from
    reason: str | None = None  # why skipped / left alone; why it fails today
    query: str = ""


@dataclass(frozen=True)
class CaptureRun:
    server: str
    out: Path
    by: RankBy
    outcomes: tuple[Outcome, ...]
    covered: float
    workload_statements: int
    below_cut: int
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> statements

    def count(self, action: Action) -> int:
        return sum(1 for o in self.outcomes if o.action is action)


def validate(request: CaptureRequest) -> None:
    if request.top is not None and request.top < 1:
        raise UserError(f"--top {request.top}: give at least 1")
    if request.min_calls < 0:
        raise UserError(f"--min-calls {request.min_calls}: give 0 or more")
    if request.out.exists() and not request.out.is_dir():
        raise UserError(f"--out {request.out}: not a folder")


def run_capture(request: CaptureRequest) -> CaptureRun:
    from plinto_db.capture import read
    from plinto_db.capture.files import existing_files
    from plinto_db.pg.connect import connect, require_server_version
    from plinto_db.pg.facts import gather_facts

    validate(request)
    existing = existing_files(request.out)
    target = request.dsn() if callable(request.dsn) else request.dsn
    with connect(target, application_name="plinto-db capture") as conn:
        conn.prepare_threshold = None  # check's machinery PREPAREs by name, nothing else may
        version = require_server_version(conn)
        statements = read.read_statements(conn)
        read.stop_tracking_this_session(conn)
        facts = gather_facts(conn)
        columns = read.read_columns(conn)
        choice, workload_ms = _choose(request, statements, facts, columns)
        outcomes = _capture(conn, request, choice, workload_ms, existing, facts, columns)
    return CaptureRun(
        server=f"PostgreSQL {version // 10000}.{version % 10000}",
        out=request.out,
        by=request.by,
        outcomes=outcomes,
        covered=choice.covered,
        workload_statements=len(choice.chosen) + len(choice.below_cut),
        below_cut=len(choice.below_cut),
        left_out=_reasons(choice.left_out),
    )


def _choose(request, statements, facts, columns) -> tuple[Choice, float]:
    from plinto_db.capture.choose import choose
    from plinto_db.capture.statements import Classified, classify

    classified = []
    for item in map(classify, statements):
        if item.reason is None:
            resolved = [resolve(t, columns, facts.search_path) for t in item.tables]
            if resolved[0] is None:
                item = Classified(item.statement, None, (), "names a relation not in this database")
            else:
                item = Classified(item.statement, item.kind, tuple(t for t in resolved if t), None)
        classified.append(item)
    schema_of = {c.statement.queryid: c.tables[0][0] for c in classified if c.tables}
    choice = choose(
        classified,
        by=request.by,
        cover=request.cover,
        top=request.top,
        min_calls=request.min_calls,
        schema_of=schema_of,
        schemas=request.schemas,
    )
    workload_ms = sum(c.item.statement.total_ms for c in (*choice.chosen, *choice.below_cut))
    return choice, workload_ms


def resolve(table: QName, columns, search_path) -> tuple[str, str] | None:
    """A table as the query names it -> (schema, name), as PostgreSQL resolves it."""
    schema, name = table
    if schema:
        return (schema, name) if (schema, name) in columns else None
    for candidate in search_path:
        if (candidate, name) in columns:
            return candidate, name
    matches = [key for key in columns if key[1] == name]
    return matches[0] if len(matches) == 1 else None


def _capture(
    conn: psycopg.Connection,
    request: CaptureRequest,
    choice: Choice,
    workload_ms: float,
    existing: dict[int, Existing],
    facts: ServerFacts,
    columns,
) -> tuple[Outcome, ...]:
    from plinto_db.capture.files import write_atomically

    outcomes: dict[int, Outcome] = {}
    drafts: list[Draft] = []
    chosen_by_id = {c.item.statement.queryid: c for c in choice.chosen}
    for chosen in choice.chosen:
        statement = chosen.item.statement
        numbers = _numbers(chosen, workload_ms)
        found = existing.get(statement.queryid)
        if found is not None:
            outcomes[statement.queryid] = _existing(found, chosen, numbers)
        elif unanalyzed := _never_analyzed(chosen.item.tables, facts):
            outcomes[statement.queryid] = Outcome(
                statement.queryid, Action.SKIPPED, None, numbers, chosen.share,
                reason=f"reads {unanalyzed}, never analyzed: check's natural mode refuses it "
                "(run ANALYZE, then capture again)",
                query=statement.query,
            )  # fmt: skip
        else:
            drafts.append(_draft(chosen, request.out, columns, facts))
    if drafts:
        for planned in _plan(conn, drafts, facts, request):
            chosen = chosen_by_id[planned.draft.queryid]
            outcome, text = _written(planned, chosen, _numbers(chosen, workload_ms), facts)
            if text is not None and outcome.path is not None:
                write_atomically(outcome.path, text)
            outcomes[planned.draft.queryid] = outcome
    return tuple(outcomes[c.item.statement.queryid] for c in choice.chosen)


def _existing(found: Existing, chosen: Chosen, numbers: Numbers) -> Outcome:
    """A statement whose file is there: refresh capture's own, leave any other alone."""
    from plinto_db.capture.files import refreshed, write_atomically

    statement = chosen.item.statement
    if found.state is FileState.OURS:
        text = refreshed(found, numbers)
        changed = text != found.text
        if changed:
            write_atomically(found.path, text)
        action = Action.REFRESHED if changed else Action.UNCHANGED
        return Outcome(
            statement.queryid, action, found.path, numbers, chosen.share, query=statement.query
        )
    why = (
        "edited since capture wrote it (by hand or by advise)"
        if found.state is FileState.EDITED
        else "not written by capture"
    )
    return Outcome(
        statement.queryid, Action.LEFT_ALONE, found.path, numbers, chosen.share,
        reason=why, query=statement.query,
    )  # fmt: skip


def _never_analyzed(tables: tuple[tuple[str, str], ...], facts: ServerFacts) -> str:
    """The statement's plain tables that were never analyzed, as messages show them."""
    from plinto_db.check.display import shown

    names = []
    for schema, name in tables:
        fact = facts.table((schema, name))
        if fact is not None and fact.kind == "r" and not fact.analyzed:
            names.append(shown(schema, name))
    return ", ".join(names)


def _plan(conn, drafts, facts, request) -> tuple[Planned, ...]:
    from plinto_db.capture.plan import plan_drafts

    return plan_drafts(conn, drafts, facts, request.statement_timeout_ms)


def _draft(chosen: Chosen, out: Path, columns, facts: ServerFacts) -> Draft:
    from plinto_db.capture.files import file_name, statement_text
    from plinto_db.capture.params import parameter_sources
    from plinto_db.capture.plan import Draft
    from plinto_db.capture.sample import missing, sample_query
    from plinto_db.check.sqltext import param_count

    statement = chosen.item.statement
    sql = statement_text(statement.query)
    count = param_count(sql)

    def columns_of(table: QName) -> frozenset[str] | None:
        found = resolve(table, columns, facts.search_path)
        return columns.get(found) if found else None

    sources = parameter_sources(sql, columns_of)
    lacking = missing(sources, count)
    reason = None
    if lacking:
        listed = ", ".join(f"${n}" for n in lacking)
        reason = f"no column to draw a value for {listed} from"
    return Draft(
        queryid=statement.queryid,
        path=out / file_name(chosen.item.tables[0], statement.queryid),
        sql=sql,
        tables=chosen.item.tables,
        sample=sample_query(sources, count),
        generic_reason=reason,
    )


def _written(
    planned: Planned, chosen: Chosen, numbers: Numbers, facts: ServerFacts
) -> tuple[Outcome, str | None]:
    """The outcome of a new statement, and the text of its file (None: nothing to write)."""
    from plinto_db.capture.files import body_lines, render
    from plinto_db.capture.plan import judge_today
    from plinto_db.check.modes import Mode

    draft = planned.draft
    query = chosen.item.statement.query
    base = dict(queryid=draft.queryid, numbers=numbers, share=chosen.share, query=query)
    if planned.error or not planned.expectations:
        why = (
            f"could not be planned: {planned.error}" if planned.error else "the plan reads no table"
        )
        return Outcome(**base, action=Action.SKIPPED, path=None, reason=why), None
    path = draft.path
    generic = planned.mode is Mode.GENERIC or draft.generic_reason is not None
    if generic:
        path = path.parent / GENERIC_FOLDER / path.name
    if path.exists():
        return Outcome(
            **base, action=Action.LEFT_ALONE, path=path, reason="not written by capture"
        ), None
    body = body_lines(
        draft.queryid, planned.note, list(planned.expectations), planned.sample, draft.sql
    )
    text = render(numbers, body)
    verdict, reasons = judge_today(planned, text, path, facts)
    return Outcome(
        **base,
        action=Action.WRITTEN,
        path=path,
        mode=Mode.GENERIC.value if generic else planned.mode.value,
        expectations=planned.expectations,
        verdict=verdict,
        reason="; ".join(reasons) or None,
    ), text


def _numbers(chosen: Chosen, workload_ms: float) -> Numbers:
    statement = chosen.item.statement
    return Numbers(
        queryid=statement.queryid,
        calls=statement.calls,
        mean_ms=statement.mean_ms,
        total_ms=statement.total_ms,
        time_share=statement.total_ms / workload_ms if workload_ms else 0.0,
    )


def _reasons(left_out: tuple[Classified, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in left_out:
        counts[item.reason or "?"] = counts.get(item.reason or "?", 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
