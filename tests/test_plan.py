"""The planner is a pure function: these tests build database states by hand, no server."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.apply.actions import ActionKind, NameTaken, State, StepKind
from plinto_db.apply.outcome import Outcome, Result
from plinto_db.apply.plan import classify, make_drop_plan, make_plan, taken_meanwhile
from plinto_db.apply.run import ApplyResult
from plinto_db.apply.select import select
from plinto_db.apply.state import (
    Build,
    DatabaseState,
    IndexShape,
    Relation,
    TableRef,
    is_leftover,
    replacement_name,
    retired_name,
)
from plinto_db.catalog import load_catalog
from plinto_db.errors import ExitCode, UserError

USERS = TableRef(100, "public", "users")
ORGS = TableRef(200, "public", "orgs")


def shape(*columns: str, method="btree", unique=False, predicate=None, options=None, opc=None):
    return IndexShape(
        method=method,
        unique=unique,
        nulls_not_distinct=False,
        key_count=len(columns),
        columns=tuple(columns),
        opclasses=tuple(opc or ["text_ops"] * len(columns)),
        collations=tuple([""] * len(columns)),
        options=tuple(options or [0] * len(columns)),
        predicate=predicate,
        reloptions=(),
    )


A_SHAPE = shape("email", predicate="((status)::text = 'active'::text)")
B_SHAPE = shape("created_at", options=[3])
E_SHAPE = shape("lower((email)::text)")


@pytest.fixture
def specs(tmp_path):
    path = tmp_path / "catalog.sql"
    path.write_text(
        "CREATE INDEX idx_a ON users (email) WHERE status = 'active';\n"
        "CREATE INDEX idx_b ON users (created_at DESC);\n"
        "CREATE INDEX idx_e ON orgs (lower(email));\n"
    )
    return load_catalog(path)


def index(name, table=USERS, oid=1, valid=True, ready=True, shape=None, constraint=None):
    return Relation(
        oid, table.schema, name, "i", table, valid, ready, True, constraint, 8192, 0, shape
    )


def state(*relations, builds=(), desired=None):
    return DatabaseState(
        server_version=180000,
        tables={"idx_a": USERS, "idx_b": USERS, "idx_e": ORGS},
        relations=tuple(relations),
        builds=tuple(builds),
        desired=desired or {"idx_a": A_SHAPE, "idx_b": B_SHAPE, "idx_e": E_SHAPE},
    )


def by_name(plan):
    return {a.name: a for a in plan.actions}


def test_missing_indexes_are_created_concurrently_with_exact_sql(specs):
    plan = make_plan(specs, state())
    actions = by_name(plan)
    assert [a.kind for a in plan.actions] == [ActionKind.CREATE] * 3
    (step,) = actions["idx_a"].steps
    assert step.kind == StepKind.BUILD
    assert step.statements == (
        "CREATE INDEX CONCURRENTLY idx_a ON public.users USING btree (email) "
        "WHERE status = 'active'",
    )
    assert "IF NOT EXISTS" not in step.sql
    # an expression index is analyzed after its build (F16)
    assert [s.kind for s in actions["idx_e"].steps] == [StepKind.BUILD, StepKind.ANALYZE]
    assert actions["idx_e"].steps[1].statements == ("ANALYZE public.orgs",)


def test_valid_same_index_is_skipped_without_any_statement(specs):
    plan = make_plan(
        specs,
        state(
            index("idx_a", shape=A_SHAPE),
            index("idx_b", oid=2, shape=B_SHAPE),
            index("idx_e", ORGS, oid=3, shape=E_SHAPE),
        ),
    )
    assert {a.kind for a in plan.actions} == {ActionKind.SKIP}
    assert plan.work == ()


def test_invalid_dead_index_is_dropped_then_rebuilt(specs):
    plan = make_plan(specs, state(index("idx_a", valid=False, shape=shape("x"))))
    action = by_name(plan)["idx_a"]
    assert action.kind == ActionKind.REBUILD_INVALID and action.state == State.INVALID
    drop, build = action.steps
    assert drop.statements == ("DROP INDEX CONCURRENTLY IF EXISTS public.idx_a",)
    assert build.kind == StepKind.BUILD


def test_invalid_index_being_built_elsewhere_is_never_dropped(specs):
    rel = index("idx_a", oid=7, valid=False, ready=False)
    plan = make_plan(specs, state(rel, builds=[Build(4242, 100, 7, "CREATE INDEX", "building")]))
    action = by_name(plan)["idx_a"]
    assert action.kind == ActionKind.WAIT and action.steps == ()
    assert "4242" in action.reason


def test_a_build_hidden_by_permissions_counts_as_in_progress(specs):
    rel = index("idx_a", oid=7, valid=False)
    plan = make_plan(specs, state(rel, builds=[Build(99, None, None, None, None)]))
    assert by_name(plan)["idx_a"].kind == ActionKind.WAIT


def test_a_build_of_another_index_does_not_protect_a_dead_one(specs):
    rel = index("idx_a", oid=7, valid=False)
    plan = make_plan(specs, state(rel, builds=[Build(99, 100, 8, "CREATE INDEX", "x")]))
    assert by_name(plan)["idx_a"].kind == ActionKind.REBUILD_INVALID


def test_drift_is_refused_by_default_with_reasons(specs):
    drifted = shape("created_at")  # ASC instead of DESC
    plan = make_plan(specs, state(index("idx_b", shape=drifted)))
    action = by_name(plan)["idx_b"]
    assert action.kind == ActionKind.REFUSE_DRIFTED and action.steps == ()
    assert "ASC instead of DESC" in action.reason
    assert plan.refused == (action,)


@pytest.mark.parametrize(
    ("live", "fragment"),
    [
        (shape("email", unique=True, predicate=A_SHAPE.predicate), "UNIQUE"),
        (shape("email", method="hash", predicate=A_SHAPE.predicate), "method hash"),
        (shape("email"), "predicate (none)"),
        (shape("email", predicate=A_SHAPE.predicate, opc=["text_pattern_ops"]), "operator class"),
        (shape("email", "id", predicate=A_SHAPE.predicate), "keys"),
        (shape("email", predicate=A_SHAPE.predicate, options=[2]), "NULLS FIRST"),
    ],
)
def test_each_kind_of_difference_is_drift(specs, live, fragment):
    found, _, reason = classify(specs[0], state(index("idx_a", shape=live)))
    assert found == State.DRIFTED
    assert fragment in reason


def test_replace_drifted_builds_under_temp_name_swaps_and_drops(specs):
    plan = make_plan(specs, state(index("idx_b", shape=shape("created_at"))), replace_drifted=True)
    action = by_name(plan)["idx_b"]
    assert action.kind == ActionKind.REPLACE_DRIFTED
    kinds = [s.kind for s in action.steps]
    assert kinds == [StepKind.BUILD, StepKind.SWAP, StepKind.DROP]
    build, swap, drop = action.steps
    assert build.statements[0].startswith("CREATE INDEX CONCURRENTLY idx_b_plnew ON public.users")
    assert swap.statements == (
        "ALTER INDEX public.idx_b RENAME TO idx_b_plold",
        "ALTER INDEX public.idx_b_plnew RENAME TO idx_b",
    )
    assert drop.statements == ("DROP INDEX CONCURRENTLY IF EXISTS public.idx_b_plold",)


def test_replace_resumes_from_an_interrupted_replace(specs):
    ready_temp = index("idx_b_plnew", oid=5, shape=B_SHAPE)
    stale_retired = index("idx_b_plold", oid=6, shape=shape("created_at"))
    plan = make_plan(
        specs,
        state(index("idx_b", shape=shape("created_at")), ready_temp, stale_retired),
        replace_drifted=True,
    )
    action = by_name(plan)["idx_b"]
    # the valid temp index is reused, the stale retired one dropped before the swap
    assert [s.kind for s in action.steps] == [StepKind.DROP, StepKind.SWAP, StepKind.DROP]
    assert "idx_b_plold" in action.steps[0].sql
    # and it is not also planned as a leftover
    assert "idx_b_plold" not in by_name(plan)


def test_invalid_temp_index_is_rebuilt_when_replacing(specs):
    bad_temp = index("idx_b_plnew", oid=5, valid=False, shape=B_SHAPE)
    plan = make_plan(
        specs, state(index("idx_b", shape=shape("created_at")), bad_temp), replace_drifted=True
    )
    steps = by_name(plan)["idx_b"].steps
    assert [s.kind for s in steps] == [StepKind.DROP, StepKind.BUILD, StepKind.SWAP, StepKind.DROP]


def test_name_taken_by_a_table_or_another_tables_index_is_an_error(specs):
    table = Relation(9, "public", "idx_a", "r", None, False, False, False, None, 0, 0)
    with pytest.raises(NameTaken, match=r"catalog.sql:1: index name 'idx_a' .* table public.idx_a"):
        make_plan(specs, state(table))
    elsewhere = index("idx_a", table=ORGS, shape=A_SHAPE)
    with pytest.raises(NameTaken, match="on public.orgs"):
        make_plan(specs, state(elsewhere))
    constraint = index("idx_a", shape=A_SHAPE, constraint="idx_a")
    with pytest.raises(NameTaken):
        make_plan(specs, state(constraint))


def test_leftovers_on_catalog_tables_are_dropped(specs):
    leftovers = [
        index("idx_a_ccnew", oid=11, valid=False),
        index("idx_a_ccold1", oid=12),
        index("something_plold", table=ORGS, oid=13),
        index("users_pkey", oid=14, constraint="users_pkey"),
        index("ix_users_email", oid=15),
    ]
    plan = make_plan(specs, state(*leftovers))
    drops = {a.name: a for a in plan.actions if a.kind == ActionKind.DROP_LEFTOVER}
    assert set(drops) == {"idx_a_ccnew", "idx_a_ccold1", "something_plold"}
    assert drops["idx_a_ccnew"].steps[0].sql == (
        "DROP INDEX CONCURRENTLY IF EXISTS public.idx_a_ccnew"
    )


def test_leftover_being_reindexed_is_waited_for(specs):
    rel = index("idx_a_ccnew", oid=11, valid=False)
    plan = make_plan(specs, state(rel, builds=[Build(5, 100, 11, "REINDEX CONCURRENTLY", "x")]))
    assert by_name(plan)["idx_a_ccnew"].kind == ActionKind.WAIT


def test_drop_plan(specs):
    plan = make_drop_plan(
        specs, state(index("idx_a", shape=A_SHAPE), index("idx_b", oid=2, valid=False))
    )
    kinds = {a.name: a.kind for a in plan.actions}
    assert kinds == {"idx_a": ActionKind.DROP, "idx_b": ActionKind.DROP, "idx_e": ActionKind.SKIP}


def test_helpers():
    assert replacement_name("x") == "x_plnew" and retired_name("x") == "x_plold"
    assert len(replacement_name("n" * 63).encode()) == 63
    assert is_leftover("a_ccnew") and is_leftover("a_ccold12") and not is_leftover("a_ccnewer")


def test_select_only_and_table(specs):
    assert [s.name for s in select(specs, ["idx_b"], None)] == ["idx_b"]
    assert [s.name for s in select(specs, None, ["orgs"])] == ["idx_e"]
    with pytest.raises(UserError, match=r"^--only nope: not in the catalog$"):
        select(specs, ["nope"], None)
    with pytest.raises(UserError, match="no catalog index on t2"):
        select(specs, None, ["t2"])


def test_a_name_taken_while_apply_waited_skips_that_index_and_names_the_taker(specs):
    waited = make_plan(specs, state()).actions[0]
    sequence = Relation(9, "public", waited.name, "S", None, False, False, False, None, 0, 0)
    with pytest.raises(NameTaken) as taken:
        make_plan(specs, state(sequence))
    action = taken_meanwhile(waited, taken.value)
    assert action.kind == ActionKind.SKIP and action.name == waited.name
    assert action.reason.endswith(f"already taken by sequence public.{waited.name}; not built")
    assert not action.steps  # nothing runs for it; the run goes on with the others


def test_exit_codes(specs):
    plan = make_plan(specs, state())
    action = plan.actions[0]

    def result(*results, converged=True):
        r = ApplyResult(180000, plan, [Outcome(action, x) for x in results])
        r.converged = converged
        return r

    assert result(Result.DONE, Result.SKIPPED).exit_code == ExitCode.OK
    assert result(Result.DONE, Result.REFUSED).exit_code == ExitCode.DRIFT
    assert result(Result.TIMED_OUT, Result.REFUSED).exit_code == ExitCode.BLOCKED
    assert result(Result.BLOCKED).exit_code == ExitCode.BLOCKED
    assert result(Result.FAILED, Result.TIMED_OUT).exit_code == ExitCode.FAILED
    assert result(Result.DONE, converged=False).exit_code == ExitCode.FAILED


def test_shipped_catalog_plans_45_creates(tmp_path):
    specs = load_catalog(Path(__file__).resolve().parent.parent / "indexes")
    tables = {s.name: TableRef(hash(s.table) % 10000, "public", s.table) for s in specs}
    desired = {s.name: shape(s.name) for s in specs}
    plan = make_plan(specs, DatabaseState(150000, tables, (), (), desired))
    assert len(plan.work) == 45
    assert sum(1 for a in plan.work if a.steps[-1].kind == StepKind.ANALYZE) == 1


def test_postgresql_14_0_to_14_3_is_refused_with_the_reason():
    from plinto_db.apply.run import refuse_broken_cic

    for version in (140000, 140003):
        with pytest.raises(UserError, match=r"14\.0-14\.3 can silently corrupt"):
            refuse_broken_cic(version)
    for version in (130020, 140004, 150018, 180006):
        refuse_broken_cic(version)


def test_a_ccnew_copy_of_a_running_reindex_is_not_dropped(specs):
    # REINDEX CONCURRENTLY reports the index it rebuilds, not the _ccnew copy it builds
    rel = index("ix_users_email_ccnew", oid=11, valid=False)
    build = Build(5, 100, 42, "REINDEX CONCURRENTLY", "building index")
    plan = make_plan(specs, state(rel, builds=[build]))
    assert by_name(plan)["ix_users_email_ccnew"].kind == ActionKind.WAIT


def test_actions_carry_their_tables_size_for_the_scheduler(specs):
    big = TableRef(100, "public", "users", pages=5000)
    small = TableRef(200, "public", "orgs", pages=3)
    live = DatabaseState(
        server_version=180000,
        tables={"idx_a": big, "idx_b": big, "idx_e": small},
        relations=(),
        builds=(),
        desired={"idx_a": A_SHAPE, "idx_b": B_SHAPE, "idx_e": E_SHAPE},
    )
    pages = {a.name: a.table_pages for a in make_plan(specs, live).actions}
    assert pages == {"idx_a": 5000, "idx_b": 5000, "idx_e": 3}


def test_while_an_analyze_runs_the_biggest_table_builds_next():
    from plinto_db.apply.actions import Action
    from plinto_db.apply.executor import scheduling_order

    def action(name, pages):
        return Action(name, name, ActionKind.CREATE, State.MISSING, table_pages=pages)

    pending = [(0, action("small", 10)), (1, action("big", 9000)), (2, action("mid", 500))]
    in_order = [a.name for _, a in scheduling_order(pending, analyzing=False)]
    overlapping = [a.name for _, a in scheduling_order(pending, analyzing=True)]
    assert in_order == ["small", "big", "mid"]
    assert overlapping == ["big", "mid", "small"]


def test_a_build_plans_its_own_cleanup_drop_of_the_invalid_index_it_may_leave(specs):
    (build,) = by_name(make_plan(specs, state()))["idx_a"].steps
    assert build.cleanup is not None and build.cleanup.kind == StepKind.DROP
    assert build.cleanup.statements == ("DROP INDEX CONCURRENTLY IF EXISTS public.idx_a",)
    assert not build.optional


def test_the_analyze_after_an_expression_index_is_planned_as_optional(specs):
    build, analyze = by_name(make_plan(specs, state()))["idx_e"].steps
    assert analyze.kind == StepKind.ANALYZE and analyze.optional and analyze.why
    assert not build.optional and analyze.cleanup is None


def test_a_wait_carries_the_index_it_waits_for(specs):
    rel = index("idx_a", oid=7, valid=False, ready=False)
    plan = make_plan(specs, state(rel, builds=[Build(4242, 100, 7, "CREATE INDEX", "building")]))
    assert by_name(plan)["idx_a"].relation == rel


def test_after_a_wait_the_plan_decides_again_or_leaves_a_leftover_alone(specs):
    from plinto_db.apply.plan import after_wait

    rel = index("idx_a_ccnew", oid=11, valid=False)
    plan = make_plan(specs, state(rel, builds=[Build(5, 100, 11, "REINDEX CONCURRENTLY", "x")]))
    waited = by_name(plan)["idx_a_ccnew"]
    left = after_wait(waited, None)
    assert left.kind == ActionKind.SKIP and left.steps == ()
    assert "left alone" in left.reason
    fresh = by_name(make_plan(specs, state()))["idx_a"]
    assert after_wait(by_name(plan)["idx_a"], fresh) is fresh


def test_dry_run_marks_the_optional_analyze(specs, capsys):
    from plinto_db.report import OutputFormat
    from plinto_db.report.apply import render_apply

    plan = make_plan(specs, state())
    outcomes = [Outcome(a, Result.PLANNED) for a in plan.actions]
    render_apply(ApplyResult(180000, plan, outcomes, dry_run=True), OutputFormat.table)
    lines = capsys.readouterr().out.splitlines()
    marker = next(i for i, line in enumerate(lines) if line.startswith("-- optional"))
    assert lines[marker + 1] == "ANALYZE public.orgs;"
    assert sum(line.startswith("-- optional") for line in lines) == 1
