"""The plan walker and judge, on plans PostgreSQL 15 and 18 really produced, without a database.

The plans and the recording server's facts are in tests/data/plans/pg<major>/ (written by
tests/plan_recorder.py; test_check_recorded_plans.py proves they are still what the servers
produce). Every test runs on each recorded major.
"""

from __future__ import annotations

import copy

import pytest
from plan_recorder import load
from recorded_plans import MAJOR_IDS, MAJORS, names, plan, verdict_of

from plinto_db.check.judge import Use, Verdict, index_use
from plinto_db.check.names import Names, resolve
from plinto_db.check.ordering import Orders, statement_orders
from plinto_db.check.planwalk import (
    analyze_figures,
    render_tree,
    root_of,
    scan_summary,
    top_rows,
    used_indexes,
    walk,
)


@pytest.fixture(params=MAJORS, ids=MAJOR_IDS)
def major(request: pytest.FixtureRequest) -> int:
    return request.param


def test_walk_visits_initplans_ctes_subplans_and_bitmap_children(major):
    nodes = walk(plan(major, "bitmap_and_or"))
    assert [n.node_type for n in nodes] == [
        "Bitmap Heap Scan", "BitmapAnd", "Bitmap Index Scan", "BitmapOr", "Bitmap Index Scan",
        "Bitmap Index Scan",
    ]  # fmt: skip
    assert used_indexes(nodes) == ("t_a_idx", "t_b_idx", "t_c_idx")
    # a Bitmap Index Scan has no relation of its own: it inherits its heap scan's
    bitmap = [n for n in nodes if n.node_type == "Bitmap Index Scan"]
    assert {(n.relation, n.schema, n.alias) for n in bitmap} == {("t", "public", "t")}
    assert [n.depth for n in bitmap] == [2, 3, 3]
    assert [n.parent for n in bitmap] == [1, 3, 3]
    initplan = walk(plan(major, "initplan"))
    sub = [n for n in initplan if n.parent_relationship == "InitPlan"]
    expected = "InitPlan 1 (returns $0)" if major < 17 else "InitPlan 1"
    assert sub[0].subplan_name == expected
    cte = walk(plan(major, "cte"))
    assert any(n.subplan_name == "CTE x" and n.index == "t_email_idx" for n in cte)
    subplan = walk(plan(major, "subplan"))
    assert [n.subplan_name for n in subplan if n.parent_relationship == "SubPlan"] == ["SubPlan 1"]
    assert used_indexes(subplan) == ("t_email_idx", "u_t_idx")
    assert top_rows(plan(major, "bitmap_and_or")) == 4


def test_walk_accepts_dict_and_plan_forms_and_rejects_other_documents(major):
    doc = plan(major, "index_cond")
    assert walk(doc[0])[0].node_type == "Index Scan"
    assert walk(doc[0]["Plan"])[0].node_type == "Index Scan"
    with pytest.raises(ValueError):
        root_of([{"no": "plan"}])


def test_unknown_and_missing_keys_are_tolerated(major):
    """A real plan with a key a later PostgreSQL may add, and without keys older ones lack."""
    doc = copy.deepcopy(plan(major, "bitmap_and_or"))
    top = doc[0]["Plan"]
    top["Some PG19 Key"] = [1, 2]
    for key in ("Schema", "Plan Rows", "Disabled", "Parallel Aware"):
        top.pop(key, None)
    nodes = walk(doc)
    assert nodes[0].plan_rows is None and nodes[0].schema is None
    assert used_indexes(nodes) == ("t_a_idx", "t_b_idx", "t_c_idx")


def test_partition_indexes_and_tables_map_to_their_parents(major):
    raw = walk(plan(major, "partitions_every_index"))
    assert used_indexes(raw) == ("p_2024_k_idx", "p_2025_k_idx")
    nodes = resolve(raw, names(major))
    assert used_indexes(nodes) == ("p_k_idx",)
    assert {n.relation for n in nodes if n.relation} == {"p"}
    assert {n.plan_relation for n in nodes if n.relation} == {"p_2024", "p_2025", "p_2026"}
    seq = [n for n in nodes if n.is_seqscan]
    assert [n.plan_relation for n in seq] == ["p_2026"]
    analyzed = plan(major, "partitions_analyzed")
    assert analyze_figures(analyzed)["execution_ms"] > 0
    assert analyze_figures(analyzed)["actual_rows"] == 801


def test_hypothetical_index_names_map_to_catalog_names(major):
    doc = copy.deepcopy(plan(major, "index_cond"))
    doc[0]["Plan"]["Index Name"] = "<13543>btree_t_email"  # how HypoPG names its indexes
    raw = walk(doc)
    mapped = Names(index_alias={"<13543>btree_t_email": "t_email_idx"})
    assert used_indexes(resolve(raw, mapped)) == ("t_email_idx",)


@pytest.mark.parametrize(
    ("scenario", "expectation", "verdict", "reason"),
    [
        ("bitmap_and_or", "index t_b_idx", Verdict.PASS, "uses t_b_idx"),
        ("bitmap_and_or", "index public.t_c_idx", Verdict.PASS, "uses t_c_idx"),
        ("bitmap_and_or", "index t_pkey", Verdict.FAIL, "plan uses t_a_idx, t_b_idx, t_c_idx"),
        ("subplan", "any-of nope_idx, u_t_idx", Verdict.PASS, "uses u_t_idx"),
        ("subplan", "any-of nope_idx, nada_idx", Verdict.FAIL, "expected any-of nope_idx, nada"),
        ("bitmap_and_or", "index-on t", Verdict.PASS, "uses t_a_idx on t"),
        ("cte", "index-on u", Verdict.PASS, "uses u_t_idx on u"),
        ("natural_count", "index-on t", Verdict.FAIL, "sequential scan of t: Seq Scan on t"),
        ("cte", "index-on p", Verdict.FAIL, "p is not in the plan"),
        ("tid_scan", "index-on t", Verdict.FAIL, "t is read by Tid Scan on t"),
        ("bitmap_and_or", "no-seqscan t", Verdict.PASS, "no sequential scan of t"),
        ("natural_count", "no-seqscan t", Verdict.FAIL, "Seq Scan on t"),
        ("natural_count", "seqscan t", Verdict.PASS, "known gap"),
        ("index_cond", "seqscan t", Verdict.FAIL, "the plan changed"),
        ("delete", "index u_t_idx", Verdict.PASS, "uses u_t_idx"),
    ],
)
def test_judge_each_expectation_kind(major, scenario, expectation, verdict, reason):
    got, judgements = verdict_of(major, scenario, expectation)
    assert got is verdict, judgements[0].reason
    assert reason in judgements[0].reason


def test_no_seqscan_sees_a_parallel_seq_scan(major):
    nodes = walk(plan(major, "parallel_seq_scan"))
    parallel = [n for n in nodes if n.is_seqscan]
    assert parallel and parallel[0].parallel  # JSON says "Seq Scan" with "Parallel Aware"
    got, judgements = verdict_of(major, "parallel_seq_scan", "no-seqscan t")
    assert got is Verdict.FAIL
    assert judgements[0].reason == "sequential scan of t: Parallel Seq Scan on t"
    assert verdict_of(major, "parallel_seq_scan", "index-on t")[0] is Verdict.FAIL
    assert verdict_of(major, "parallel_seq_scan", "seqscan t")[0] is Verdict.PASS


def test_render_tree_and_scan_summary(major):
    text = render_tree(plan(major, "initplan"))
    lines = text.splitlines()
    assert lines[0].startswith("Bitmap Heap Scan on t  (rows=200; cond: (t.a = ")
    assert any("-> Aggregate  (InitPlan 1" in line for line in lines)
    assert any("Bitmap Index Scan using t_a_idx on t" in line for line in lines)
    assert render_tree(plan(major, "initplan"), max_lines=2).splitlines()[-1] == "  ..."
    summary = scan_summary(walk(plan(major, "schemas")))
    assert summary == (
        "Seq Scan on t",
        "Bitmap Heap Scan on billing.t bt",
        "Bitmap Index Scan on billing.t bt",
    )
    assert all("using" not in s for s in summary)


@pytest.mark.parametrize(
    ("scenario", "index", "use"),
    [
        ("index_cond", "t_email_idx", Use.FILTER),
        ("index_only_cond", "t_pkey", Use.FILTER),
        ("forced_partial", "t_active_idx", Use.FILTER),  # a partial index's predicate filters
        ("forced_like_full_index", "t_email_idx", Use.FULL_READ),
        ("forced_count", "t_c_idx", Use.FULL_READ),
        ("forced_limit_no_order", "t_email_idx", Use.FULL_READ),  # LIMIT without ORDER BY
        ("forced_limit_index_only", "t_a_idx", Use.FULL_READ),  # Limit -> Index Only Scan
        ("forced_sort_above", "t_email_idx", Use.FULL_READ),
        ("forced_sort_above_index_only", "t_a_idx", Use.FULL_READ),
        ("forced_order", "t_created_idx", Use.ORDER),  # ORDER BY, no Sort above it
        ("forced_order_limit", "t_created_idx", Use.ORDER),
        ("natural_order_limit", "t_created_idx", Use.ORDER),
        ("forced_merge_join", "t_pkey", Use.ORDER),
        ("forced_merge_join", "u_t_idx", Use.ORDER),
        ("forced_group", "t_a_idx", Use.ORDER),  # a sorted GROUP BY
        ("partitions_order", "p_k_idx", Use.ORDER),  # Merge Append
        ("partitions_order_desc", "p_k_idx", Use.ORDER),  # Merge Append of backward scans
        # the only ORDER BY is a sublink's: the top Limit over t_pkey needs no order
        ("forced_limit_subquery_order", "t_pkey", Use.FULL_READ),
        ("forced_limit_subquery_order", "u_t_idx", Use.FILTER),
        ("forced_subquery_order", "t_created_idx", Use.ORDER),  # a subquery's ORDER BY LIMIT
    ],
)
def test_index_use_filters_orders_or_reads_whole(major, scenario, index, use):
    doc = load(major, scenario)
    n = names(major)
    nodes = resolve(walk(doc["plan"]), n)
    found = [x for x in nodes if x.uses_index and x.index == index]
    assert found, [x.label() for x in nodes]
    got = {index_use(x, nodes, n, ordered=statement_orders(doc["sql"])) for x in found}
    assert got == {use}


@pytest.mark.parametrize(
    ("sql", "top", "nested"),
    [
        ("SELECT * FROM t ORDER BY a LIMIT 3", True, False),
        ("SELECT * FROM t LIMIT 3", False, False),
        ("SELECT a, (SELECT k FROM u ORDER BY k LIMIT 1) FROM t LIMIT 3", False, True),
        ("SELECT string_agg(email, ',' ORDER BY email) FROM t", False, False),
        ("SELECT row_number() OVER (ORDER BY a) FROM t LIMIT 3", False, False),
        ("(SELECT a FROM t ORDER BY a LIMIT 1) UNION ALL SELECT 2", True, False),
        ("SELECT * FROM t WHERE email = 'order by' LIMIT 3", False, False),
        ("WITH x AS (SELECT a FROM t ORDER BY a LIMIT 5) SELECT * FROM x", False, True),
        ("SELECT * FROM t WHERE a = $1 ORDER BY created DESC LIMIT $2", True, False),
    ],
)
def test_statement_orders_reads_where_an_order_by_is(sql, top, nested):
    """Read with PostgreSQL's parser: an aggregate's or a window's ORDER BY is no statement
    order; a sublink's is nested, not the statement's."""
    assert statement_orders(sql) == Orders(top, nested)
