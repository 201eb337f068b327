"""The plan walker and judge, on EXPLAIN (FORMAT JSON) documents, without a database.

The documents below keep the keys PostgreSQL 13-18 really emit (abridged): PG13-16 name
InitPlans "InitPlan 1 (returns $0)", PG17+ "InitPlan 1"; PG18 adds "Disabled" everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.check.judge import Verdict, judge
from plinto_db.check.planwalk import (
    Names,
    analyze_figures,
    render_tree,
    resolve,
    root_of,
    scan_summary,
    top_rows,
    used_indexes,
    walk,
)
from plinto_db.check.workload import parse_check


def node(node_type: str, *children: dict, **keys: object) -> dict:
    doc: dict = {"Node Type": node_type, "Parallel Aware": False, "Plan Rows": 1, **keys}
    if children:
        doc["Plans"] = list(children)
    return doc


def explain(plan: dict, **top: object) -> list[dict]:
    return [{"Plan": plan, "Settings": {}, **top}]


# PG15-style: an InitPlan (scalar subquery), a CTE, a SubPlan, BitmapAnd under a heap scan
PG15_TREE = explain(
    node(
        "Nested Loop",
        node(
            "Limit",
            node("Seq Scan", **{"Relation Name": "organizations", "Alias": "organizations"}),
            **{"Parent Relationship": "InitPlan", "Subplan Name": "InitPlan 1 (returns $0)"},
        ),
        node(
            "Index Scan",
            **{
                "Parent Relationship": "InitPlan",
                "Subplan Name": "CTE recent",
                "Index Name": "idx_sessions_user_id",
                "Relation Name": "sessions",
                "Alias": "sessions",
                "Index Cond": "(user_id = $0)",
            },
        ),
        node(
            "Bitmap Heap Scan",
            node(
                "BitmapAnd",
                node("Bitmap Index Scan", **{"Index Name": "users_a_idx"}),
                node(
                    "BitmapOr",
                    node("Bitmap Index Scan", **{"Index Name": "users_b_idx"}),
                    node("Bitmap Index Scan", **{"Index Name": "users_c_idx"}),
                ),
            ),
            **{"Relation Name": "users", "Alias": "u", "Recheck Cond": "(a = 1)"},
        ),
        node(
            "Index Only Scan",
            **{
                "Parent Relationship": "SubPlan",
                "Subplan Name": "SubPlan 2",
                "Index Name": "passkeys_user_idx",
                "Relation Name": "passkeys",
                "Alias": "p",
            },
        ),
        **{"Plan Rows": 7},
    )
)

# PG18-style: Append over partitions whose own indexes carry partition names; "Disabled"
PG18_PARTITIONS = explain(
    node(
        "Append",
        node(
            "Index Scan",
            **{
                "Index Name": "events_2024_kind_idx",
                "Relation Name": "events_2024",
                "Alias": "events_1",
                "Disabled": False,
            },
        ),
        node(
            "Seq Scan",
            **{"Relation Name": "events_2025", "Alias": "events_2", "Disabled": True},
        ),
        **{"Disabled": False, "Plan Rows": 2.5},
    ),
    **{"Planning Time": 0.1, "Execution Time": 1.25},
)

PARTITION_NAMES = Names(
    index_parent={
        "events_2024_kind_idx": "events_kind_idx",
        "events_2025_kind_idx": "events_kind_idx",
    },
    index_alias={},
    index_table={"events_kind_idx": "events"},
    table_parent={"events_2024": "events", "events_2025": "events"},
)


def check(*expect: str):
    header = "".join(f"-- expect: {e}\n" for e in expect)
    return parse_check(header + "SELECT 1\n", Path("t.sql"))


def test_walk_visits_initplans_ctes_subplans_and_bitmap_children():
    nodes = walk(PG15_TREE)
    assert [n.node_type for n in nodes] == [
        "Nested Loop", "Limit", "Seq Scan", "Index Scan", "Bitmap Heap Scan", "BitmapAnd",
        "Bitmap Index Scan", "BitmapOr", "Bitmap Index Scan", "Bitmap Index Scan",
        "Index Only Scan",
    ]  # fmt: skip
    assert used_indexes(nodes) == (
        "idx_sessions_user_id", "users_a_idx", "users_b_idx", "users_c_idx", "passkeys_user_idx",
    )  # fmt: skip
    # a Bitmap Index Scan has no relation of its own: it inherits its heap scan's
    bitmap = [n for n in nodes if n.node_type == "Bitmap Index Scan"]
    assert {(n.relation, n.alias) for n in bitmap} == {("users", "u")}
    assert [n.depth for n in bitmap] == [3, 4, 4]
    cte = nodes[3]
    assert (cte.parent_relationship, cte.subplan_name) == ("InitPlan", "CTE recent")
    assert nodes[1].subplan_name == "InitPlan 1 (returns $0)"
    assert top_rows(PG15_TREE) == 7


def test_walk_accepts_dict_and_plan_forms_and_rejects_other_documents():
    assert walk(PG15_TREE[0])[0].node_type == "Nested Loop"
    assert walk(PG15_TREE[0]["Plan"])[0].node_type == "Nested Loop"
    with pytest.raises(ValueError):
        root_of([{"no": "plan"}])


def test_unknown_and_missing_keys_are_tolerated():
    nodes = walk(explain({"Node Type": "Custom Scan", "Some PG19 Key": [1, 2]}))
    assert nodes[0].plan_rows is None and nodes[0].index is None and not nodes[0].uses_index


def test_partition_indexes_and_tables_map_to_their_parents():
    raw = walk(PG18_PARTITIONS)
    assert used_indexes(raw) == ("events_2024_kind_idx",)
    nodes = resolve(raw, PARTITION_NAMES)
    assert used_indexes(nodes) == ("events_kind_idx",)
    assert {n.relation for n in nodes if n.relation} == {"events"}
    assert nodes[2].disabled and nodes[2].is_seqscan
    assert top_rows(PG18_PARTITIONS) == 2.5
    assert analyze_figures(PG18_PARTITIONS)["execution_ms"] == 1.25


def test_hypothetical_index_names_map_to_catalog_names():
    raw = walk(
        explain(
            node(
                "Index Scan", **{"Index Name": "<13543>btree_users_email", "Relation Name": "users"}
            )
        )
    )
    names = Names({}, {"<13543>btree_users_email": "idx_users_email"}, {}, {})
    assert used_indexes(resolve(raw, names)) == ("idx_users_email",)


@pytest.mark.parametrize(
    ("expectation", "verdict", "reason"),
    [
        ("index users_b_idx", Verdict.PASS, "uses users_b_idx"),
        ("index public.users_c_idx", Verdict.PASS, "uses users_c_idx"),
        ("index users_pkey", Verdict.FAIL, "plan uses idx_sessions_user_id, users_a_idx"),
        ("any-of nope, passkeys_user_idx", Verdict.PASS, "uses passkeys_user_idx"),
        ("any-of nope, nada", Verdict.FAIL, "expected any-of nope, nada"),
        ("index-on users", Verdict.PASS, "uses users_a_idx on users"),
        ("index-on sessions", Verdict.PASS, "uses idx_sessions_user_id"),
        ("index-on organizations", Verdict.FAIL, "sequential scan of organizations"),
        ("index-on policies", Verdict.FAIL, "policies is not in the plan"),
        ("no-seqscan users", Verdict.PASS, "no sequential scan of users"),
        ("no-seqscan organizations", Verdict.FAIL, "Seq Scan on organizations"),
        ("seqscan organizations", Verdict.PASS, "known gap"),
        ("seqscan users", Verdict.FAIL, "the plan changed"),
    ],
)
def test_judge_each_expectation_kind(expectation: str, verdict: Verdict, reason: str):
    nodes = walk(PG15_TREE)
    got, judgements = judge(check(expectation), nodes)
    assert got is verdict
    assert reason in judgements[0].reason


def test_index_on_a_partitioned_table_and_every_expectation_must_hold():
    nodes = resolve(walk(PG18_PARTITIONS), PARTITION_NAMES)
    assert judge(check("index events_kind_idx"), nodes)[0] is Verdict.PASS
    # the 2025 partition is read sequentially (a disabled node in PG18 forced mode)
    verdict, judgements = judge(check("index events_kind_idx", "no-seqscan events"), nodes)
    assert verdict is Verdict.FAIL
    assert [j.passed for j in judgements] == [True, False]
    assert judge(check("index-on events"), nodes)[0] is Verdict.FAIL


def test_index_on_without_seqscan_but_other_access_fails():
    tid = explain(node("Tid Scan", **{"Relation Name": "users", "Alias": "users"}))
    verdict, judgements = judge(check("index-on users"), walk(tid))
    assert verdict is Verdict.FAIL and "read by Tid Scan on users" in judgements[0].reason


def test_schema_qualified_table_matches_when_the_plan_names_the_schema():
    plan = explain(
        node("Seq Scan", **{"Relation Name": "users", "Schema": "app", "Alias": "users"})
    )
    assert judge(check("no-seqscan app.users"), walk(plan))[0] is Verdict.FAIL
    assert judge(check("no-seqscan other.users"), walk(plan))[0] is Verdict.PASS


def test_render_tree_and_scan_summary():
    text = render_tree(PG15_TREE)
    lines = text.splitlines()
    assert lines[0] == "Nested Loop  (rows=7)"
    assert "  -> Limit  (InitPlan 1 (returns $0); rows=1)" in lines
    assert any("Bitmap Index Scan using users_a_idx on users u" in line for line in lines)
    assert render_tree(PG15_TREE, max_lines=2).splitlines()[-1] == "  ..."
    summary = scan_summary(walk(PG15_TREE))
    assert "Seq Scan on organizations" in summary
    assert "Bitmap Heap Scan on users u" in summary
    assert all("using" not in s for s in summary)
