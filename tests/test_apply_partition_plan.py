"""The pure planner on partitioned tables, without a server: what it plans for each state
a tree can be found in (missing, half done, reusable indexes, invalid leftovers, drift)."""

from __future__ import annotations

from pathlib import Path

from plinto_db.apply.actions import ActionKind, State, StepKind
from plinto_db.apply.partition_state import refusals
from plinto_db.apply.partitions import partition_index_name
from plinto_db.apply.plan import classify, make_plan
from plinto_db.apply.state import DatabaseState, IndexShape, Partition, Relation, TableRef
from plinto_db.catalog.parse import parse_statement

SHAPE = IndexShape("btree", False, False, 1, ("customer_id",), ("int4_ops",), ("",), (0,), None, ())
OTHER = IndexShape("btree", False, False, 1, ("amount",), ("numeric_ops",), ("",), (0,), None, ())
PARENT = TableRef(1, "shop", "payment", partition_key=("paid_on",))
PARTS = (
    Partition(10, "shop", "p1", "r", 1),
    Partition(11, "shop", "p2", "r", 1),
    Partition(12, "shop", "p3", "p", 1, key=("id",)),
    Partition(13, "shop", "p3a", "r", 12),
)


def spec(sql: str = "CREATE INDEX pc ON shop.payment (customer_id)"):
    return parse_statement(sql, Path("c.sql"), 1)


def index(oid, name, table, *, kind="i", valid=True, parent=None, shape=SHAPE) -> Relation:
    return Relation(oid, "shop", name, kind, table, valid, True, True, None, 8192, 0,
                    shape=shape, parent_index=parent)  # fmt: skip


def state(*relations: Relation, parts=PARTS, desired=SHAPE) -> DatabaseState:
    return DatabaseState(
        180000, {"pc": PARENT}, relations, (), {"pc": desired}, partitions={1: parts}
    )


def table(oid: int) -> TableRef:
    part = next(p for p in PARTS if p.oid == oid)
    return part.as_table()


def sql(plan) -> list[str]:
    return [s for a in plan.actions for step in a.steps for s in step.statements]


def test_missing_tree_is_on_only_then_per_partition_build_and_attach_parents_first():
    plan = make_plan((spec(),), state())
    assert sql(plan) == [
        "CREATE INDEX pc ON ONLY shop.payment USING btree (customer_id)",
        "CREATE INDEX CONCURRENTLY p1_pc ON shop.p1 USING btree (customer_id)",
        "ALTER INDEX shop.pc ATTACH PARTITION shop.p1_pc",
        "CREATE INDEX CONCURRENTLY p2_pc ON shop.p2 USING btree (customer_id)",
        "ALTER INDEX shop.pc ATTACH PARTITION shop.p2_pc",
        "CREATE INDEX p3_pc ON ONLY shop.p3 USING btree (customer_id)",
        "ALTER INDEX shop.pc ATTACH PARTITION shop.p3_pc",
        "CREATE INDEX CONCURRENTLY p3a_pc ON shop.p3a USING btree (customer_id)",
        "ALTER INDEX shop.p3_pc ATTACH PARTITION shop.p3a_pc",
    ]
    leaf = plan.actions[-1]
    assert leaf.needs == ("shop.p3_pc",) and leaf.catalog_name == "pc"
    assert leaf.position == "4 of 4" and leaf.table_oid == 13  # one build per table
    assert [a.kind for a in plan.actions][0] == ActionKind.CREATE


def test_resume_leaves_attached_alone_attaches_built_and_rebuilds_invalid():
    parent = index(100, "pc", PARENT, kind="I", valid=False)
    relations = (
        parent,
        index(101, "p1_pc", table(10), parent=100),  # attached: left alone
        index(102, "p2_pc", table(11)),  # built, not attached: attached
        index(103, "p3_pc", table(12), kind="I", valid=False, parent=100),
        index(104, "p3a_pc", table(13), valid=False),  # a killed build: dropped, rebuilt
    )
    found = state(*relations)
    assert classify(spec(), found)[0] == State.PARTIAL
    assert classify(spec(), found)[2] == "1 of 3 partitions"
    assert sql(make_plan((spec(),), found)) == [
        "ALTER INDEX shop.pc ATTACH PARTITION shop.p2_pc",
        "DROP INDEX CONCURRENTLY IF EXISTS shop.p3a_pc",
        "CREATE INDEX CONCURRENTLY p3a_pc ON shop.p3a USING btree (customer_id)",
        "ALTER INDEX shop.p3_pc ATTACH PARTITION shop.p3a_pc",
    ]


def test_a_matching_index_of_any_name_is_reused_a_different_one_is_not():
    relations = (index(200, "mine", table(10)), index(201, "other", table(11), shape=OTHER))
    text = sql(make_plan((spec(),), state(*relations)))
    assert "ALTER INDEX shop.pc ATTACH PARTITION shop.mine" in text
    assert not any("ON shop.p1 " in s for s in text)
    assert "CREATE INDEX CONCURRENTLY p2_pc ON shop.p2 USING btree (customer_id)" in text


def test_valid_tree_is_skipped_and_a_differing_attached_partition_index_is_drift():
    parent = index(100, "pc", PARENT, kind="I")
    sub = index(103, "p3_pc", table(12), kind="I", parent=100)
    leaves = (
        index(101, "p1_pc", table(10), parent=100),
        index(102, "p2_pc", table(11), parent=100),
        index(104, "p3a_pc", table(13), parent=103),
    )
    assert make_plan((spec(),), state(parent, sub, *leaves)).actions[0].kind == ActionKind.SKIP
    odd = index(102, "p2_pc", table(11), parent=100, shape=OTHER)
    found, _, reason = classify(spec(), state(parent, sub, leaves[0], odd, leaves[2]))
    assert found == State.DRIFTED and "shop.p2_pc on shop.p2" in reason


def test_foreign_partition_tree_builds_leaves_then_one_plain_create_on_the_parent():
    parts = (Partition(10, "shop", "p1", "r", 1), Partition(14, "shop", "remote", "f", 1))
    plan = make_plan((spec(),), state(parts=parts))
    assert sql(plan) == [
        "CREATE INDEX CONCURRENTLY p1_pc ON shop.p1 USING btree (customer_id)",
        "CREATE INDEX pc ON shop.payment USING btree (customer_id)",
    ]
    assert plan.actions[-1].needs == ("shop.p1_pc",)
    assert plan.actions[-1].steps[0].kind == StepKind.PARENT


def test_unique_without_every_partition_key_column_at_every_level_is_refused():
    unique = spec("CREATE UNIQUE INDEX pc ON shop.payment (paid_on)")
    found = refusals((unique,), state())
    assert len(found) == 1 and "lacks id" in found[0] and found[0].startswith("c.sql:1:")
    assert refusals((spec("CREATE UNIQUE INDEX pc ON shop.payment (paid_on, id)"),), state()) == []
    assert refusals((spec(),), state()) == []


def test_partition_index_names_are_deterministic_and_at_most_63_bytes():
    assert partition_index_name("pc", "p1") == "p1_pc"
    long = partition_index_name("payment_customer_created_at_idx", "payment_2024_01_01_" + "x" * 30)
    assert len(long.encode()) == 63 and long == partition_index_name(
        "payment_customer_created_at_idx", "payment_2024_01_01_" + "x" * 30
    )
    other = partition_index_name(
        "payment_customer_created_at_idy", "payment_2024_01_01_" + "x" * 30
    )
    assert other != long
    assert len(partition_index_name("é" * 40, "ü" * 40).encode()) <= 63


def test_replace_drifted_drops_the_parent_plainly_then_builds_the_whole_tree_again():
    parent = index(100, "pc", PARENT, kind="I", shape=OTHER)
    sub = index(103, "p3_pc", table(12), kind="I", parent=100, shape=OTHER)
    leaves = (
        index(101, "p1_pc", table(10), parent=100, shape=OTHER),
        index(102, "p2_pc", table(11), parent=100, shape=OTHER),
        index(104, "p3a_pc", table(13), parent=103, shape=OTHER),
    )
    found = state(parent, sub, *leaves)
    assert make_plan((spec(),), found).actions[0].kind == ActionKind.REFUSE_DRIFTED
    text = sql(make_plan((spec(),), found, replace_drifted=True))
    assert text[:2] == [
        "DROP INDEX IF EXISTS shop.pc",
        "CREATE INDEX pc ON ONLY shop.payment USING btree (customer_id)",
    ]
    assert "CREATE INDEX CONCURRENTLY p3a_pc ON shop.p3a USING btree (customer_id)" in text
