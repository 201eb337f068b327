"""Judging a plan against a check's expectations. Pure code: no database.

The judge compares plan *shape* (which node scans which relation with which index), never
costs. One rule decides what reading an index means (`index_use`): a scan node uses its index
to FILTER (an index condition, or a partial index's predicate beyond `IS NOT NULL`), to ORDER
(it delivers an order the plan above it needs: no Sort on the way up to an ORDER BY, a merge
join, a LIMIT under an ORDER BY, a sorted GROUP BY), or it is a FULL_READ of the whole index.
With sequential scans disabled (forced mode) a full read is what the planner fell back to: it
proves nothing and stands for the sequential scan it replaced. In the planner's own choice it
is a real use, noted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from plinto_db.check.display import shown
from plinto_db.check.modes import TINY_TABLE_PAGES
from plinto_db.check.names import Names, QName
from plinto_db.check.ordering import LazyOrders, Orders
from plinto_db.check.planwalk import OTHER_SCANS, SEQ_NODES, PlanNode
from plinto_db.check.workload import Check, Expectation, ExpectKind


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"


class Use(StrEnum):
    """How a scan node uses its index."""

    FILTER = "filter"
    ORDER = "order"
    FULL_READ = "full read"


# nodes that pass their input's order up unchanged
ORDER_KEEPING = frozenset(
    {"Limit", "Result", "LockRows", "Subquery Scan", "Materialize", "Memoize", "Append"}
)
# nodes that need their input in order (Aggregate and SetOp only with the Sorted strategy)
ORDER_USING = frozenset(
    {"Merge Join", "Merge Append", "Gather Merge", "Incremental Sort", "Unique", "Group"}
    | {"WindowAgg"}
)
HEAP_READS = frozenset({"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}) | SEQ_NODES
FORCED_FULL_READ = (
    "full scan of {index} with no condition (the planner was forced off a sequential scan)"
)


# `col IS NOT NULL` (alone or ANDed): implied by any strict operator on col, it filters nothing
# a query asks for; reading such a partial index whole is still a full read
_NOT_NULL_ONLY = re.compile(
    r"^(?:\(*\s*[\w.\"]+\s+IS\s+NOT\s+NULL\s*\)*)(?:\s+AND\s+\(*\s*[\w.\"]+\s+IS\s+NOT\s+NULL\s*\)*)*$",
    re.IGNORECASE,
)


def filtering_predicate(predicate: str | None) -> bool:
    """Does a partial index's predicate filter rows (more than `col IS NOT NULL`)?"""
    return bool(predicate and predicate.strip()) and not _NOT_NULL_ONLY.match(
        str(predicate).strip()
    )


@dataclass(frozen=True)
class Judgement:
    expectation: Expectation
    passed: bool
    reason: str
    notes: tuple[str, ...] = ()


def index_use(
    node: PlanNode, nodes: Sequence[PlanNode], names: Names, *, ordered: Orders | LazyOrders | bool
) -> Use:
    """The one rule: does this index scan node filter, order, or read the whole index?

    `nodes`: the whole plan (walk order); `ordered`: which levels of the statement have an
    ORDER BY (ordering.statement_orders; a bool: every level alike).
    """
    if node.index_cond or names.is_partial(node.plan_schema, node.plan_index or node.index or ""):
        return Use.FILTER
    if node.order_by or (
        node.node_type != "Bitmap Index Scan" and _order_needed(node, nodes, ordered)
    ):
        return Use.ORDER
    return Use.FULL_READ


def _order_needed(
    node: PlanNode, nodes: Sequence[PlanNode], ordered: Orders | LazyOrders | bool
) -> bool:
    """Read from the plan: the node's order reaches what needs it with no Sort on the way (a
    Merge Append, a merge join, a sorted GROUP BY, ...), or reaches the top of a statement
    level (through its Limit) whose ORDER BY it then delivers."""
    orders = Orders(ordered, ordered) if isinstance(ordered, bool) else ordered
    child = node
    while child.parent is not None:
        if child.parent_relationship in ("InitPlan", "SubPlan"):
            return orders.nested  # the top of a subquery (a CTE, a sublink): its own ORDER BY
        parent = nodes[child.parent]
        kind = parent.node_type
        if kind in ORDER_USING or (kind in ("Aggregate", "SetOp") and parent.strategy == "Sorted"):
            return True
        if kind == "Subquery Scan" and orders.nested:
            return True  # the top of a subquery in FROM that has an ORDER BY of its own
        keeps = kind in ORDER_KEEPING or (
            kind == "Nested Loop" and child.parent_relationship == "Outer"
        )
        if not keeps:
            return False  # a Sort, a hash, a Gather: the order is not what reaches the top
        child = parent
    return orders.top


class _Plan:
    """A resolved plan with the facts the judge needs, and each index node's use computed once."""

    def __init__(self, nodes: tuple[PlanNode, ...], names: Names, *, forced: bool, ordered: Orders):
        self.nodes, self.names, self.forced = nodes, names, forced
        self.uses = {
            n.position: index_use(n, nodes, names, ordered=ordered) for n in nodes if n.uses_index
        }

    def use(self, node: PlanNode) -> Use:
        return self.uses[node.position]

    def counts(self, node: PlanNode) -> bool:
        """Does this index node count as a use (in forced mode, a full read does not)?"""
        return not (self.forced and self.use(node) is Use.FULL_READ)

    def index_nodes_of(self, read: PlanNode) -> list[PlanNode]:
        """The index nodes that feed a heap read: itself, or a Bitmap Heap Scan's bitmap scans."""
        if read.uses_index:
            return [read]
        if read.node_type != "Bitmap Heap Scan":
            return []
        return [
            n
            for n in self.nodes
            if n.node_type == "Bitmap Index Scan" and self._heap(n) == read.position
        ]

    def _heap(self, node: PlanNode) -> int | None:
        parent = node.parent
        while parent is not None and self.nodes[parent].node_type in ("BitmapAnd", "BitmapOr"):
            parent = self.nodes[parent].parent
        return parent

    def reads_of(self, table: QName) -> list[PlanNode]:
        """The nodes that read a table's rows (a partitioned table: each partition's)."""
        return [
            n
            for n in self.nodes
            if (n.node_type in HEAP_READS or n.node_type in OTHER_SCANS) and on_table(n, table)
        ]

    def tiny_partition(self, read: PlanNode) -> int | None:
        """A partition's pages when it is under TINY_TABLE_PAGES, else None."""
        if read.plan_relation in (None, read.relation):
            return None
        pages = self.names.pages_of(read.plan_schema, read.plan_relation or "")
        return pages if pages is not None and pages < TINY_TABLE_PAGES else None


def _is(schema: str | None, name: str | None, wanted: QName) -> bool:
    return name == wanted[1] and (wanted[0] is None or schema is None or schema == wanted[0])


def on_table(node: PlanNode, table: QName) -> bool:
    """Does the node read `table`: its partitioned root, or the partition itself by name."""
    return node.relation is not None and (
        _is(node.schema, node.relation, table) or _is(node.plan_schema, node.plan_relation, table)
    )


def names_index(node: PlanNode, wanted: Sequence[QName]) -> str | None:
    """The name under which the node uses one of the wanted indexes (root, or the partition's)."""
    for name in wanted:
        if _is(node.schema, node.index, name):
            return node.index
        if _is(node.plan_schema, node.plan_index, name):
            return node.plan_index
    return None


def _index_shown(node: PlanNode, name: str) -> str:
    """`name` (the node's root index or the partition's own) as a message shows it."""
    schema = node.schema if name == node.index else node.plan_schema
    return shown(schema, name)


def judge(
    check: Check,
    nodes: tuple[PlanNode, ...],
    *,
    forced: bool = False,
    names: Names | None = None,
) -> tuple[Verdict, tuple[Judgement, ...]]:
    """Every expectation of the check must hold. `forced`: the plan came with seq scans off."""
    plan = _Plan(nodes, names or Names.empty(), forced=forced, ordered=LazyOrders(check.sql))
    judgements = tuple(judge_expectation(e, plan) for e in check.expectations)
    verdict = Verdict.PASS if all(j.passed for j in judgements) else Verdict.FAIL
    return verdict, judgements


def judge_expectation(expectation: Expectation, plan: _Plan) -> Judgement:
    kind = expectation.kind
    if kind in (ExpectKind.INDEX, ExpectKind.ANY_OF):
        return _judge_index(expectation, plan)
    table = plan.names.qualify(expectation.names[0])
    if kind is ExpectKind.SEQSCAN:
        return _judge_seqscan(expectation, plan, table)
    if kind is ExpectKind.NO_SEQSCAN:
        return _judge_no_seqscan(expectation, plan, table)
    return _judge_index_on(expectation, plan, table)


def _plan_label(node: PlanNode) -> str:
    """The node as the plan shows it (a partition by its own name)."""
    return replace(
        node, relation=node.plan_relation, schema=node.plan_schema, index=node.plan_index
    ).label()


def _natural_full_read(name: str) -> str:
    return f"{name}: full scan with no condition (the planner chose it over reading the table)"


def _named(expectation: Expectation) -> str:
    """The expectation's (first) name as the check names it, quoted where it must be."""
    return expectation.shown[0]


def _judge_index(expectation: Expectation, plan: _Plan) -> Judgement:
    wanted = [plan.names.qualify(t) for t in expectation.names]
    hits = [(n, name) for n in plan.nodes if n.uses_index and (name := names_index(n, wanted))]
    counted = [(n, name) for n, name in hits if plan.counts(n)]
    if not counted:
        if hits:  # forced mode, and every use is a full read
            index = _index_shown(*hits[0])
            return Judgement(expectation, False, FORCED_FULL_READ.format(index=index))
        used = [shown(n.schema, str(n.index)) for n in plan.nodes if n.uses_index and n.index]
        listed = ", ".join(dict.fromkeys(used)) if used else "no index"
        return Judgement(
            expectation, False, f"expected {expectation.describe()}; plan uses {listed}"
        )
    serving = [(n, name) for n, name in counted if plan.use(n) is not Use.FULL_READ]
    node, name = (serving or counted)[0]
    notes = [] if serving else [_natural_full_read(_index_shown(node, name))]
    problems, tiny = _partition_gaps(plan, wanted, counted)
    notes += tiny
    if problems:
        return Judgement(expectation, False, "; ".join(problems), tuple(notes))
    return Judgement(expectation, True, f"uses {_index_shown(node, name)}", tuple(notes))


def _partition_gaps(
    plan: _Plan, wanted: Sequence[QName], counted: Sequence[tuple[PlanNode, str]]
) -> tuple[list[str], list[str]]:
    """A partitioned index must serve every partition the plan reads; tiny ones are noted.

    Returns (why the expectation fails, notes).
    """
    tables = {
        (n.schema, n.relation)
        for n, name in counted
        if name == n.index and n.plan_index != n.index and n.relation
    }
    problems: list[str] = []
    notes: list[str] = []
    for schema, table in sorted(tables, key=str):
        for read in plan.reads_of((schema, table or "")):
            if read.plan_relation == read.relation:
                continue
            if any(names_index(i, wanted) and plan.counts(i) for i in plan.index_nodes_of(read)):
                continue
            where = (
                f"partition {_partition_shown(read)} of {shown(schema, str(table))} is read by "
                f"{_plan_label(read)}"
            )
            pages = plan.tiny_partition(read)
            if pages is not None:
                notes.append(f"{where}: {pages} page(s), too small to show index use")
            else:
                problems.append(f"{where}, not {', '.join(shown(*w) for w in wanted)}")
    return problems, notes


def _partition_shown(read: PlanNode) -> str:
    return shown(read.plan_schema, str(read.plan_relation))


def _gap(read: PlanNode, plan: _Plan, table: str) -> str:
    """Why a read of the table is no index use."""
    if read.is_seqscan:
        return f"sequential scan of {table}: {_plan_label(read)}"
    index_nodes = plan.index_nodes_of(read)
    if index_nodes:
        first = index_nodes[0]
        return FORCED_FULL_READ.format(index=shown(first.plan_schema, str(first.plan_index)))
    return f"no index on {table} is used ({table} is read by {_plan_label(read)})"


def _judge_index_on(expectation: Expectation, plan: _Plan, table: QName) -> Judgement:
    named = _named(expectation)
    reads = plan.reads_of(table)
    if not reads:
        return Judgement(
            expectation, False, f"no index on {named} is used ({named} is not in the plan)"
        )
    used: list[PlanNode] = []
    notes: list[str] = []
    problems: list[str] = []
    for read in reads:
        counted = [i for i in plan.index_nodes_of(read) if plan.counts(i)]
        if counted:
            serving = [i for i in counted if plan.use(i) is not Use.FULL_READ]
            used.append((serving or counted)[0])
            if not serving:
                notes.append(_natural_full_read(shown(counted[0].schema, str(counted[0].index))))
        elif (pages := plan.tiny_partition(read)) is not None:
            notes.append(
                f"partition {_partition_shown(read)} is read by {_plan_label(read)}: {pages} "
                "page(s), too small to show index use"
            )
        else:
            problems.append(_gap(read, plan, named))
    if problems:
        return Judgement(expectation, False, problems[0], tuple(notes))
    if not used:
        how = f"{named} is read by {_plan_label(reads[0])}"
        return Judgement(expectation, False, f"no index on {named} is used ({how})", tuple(notes))
    index = shown(used[0].schema, str(used[0].index))
    return Judgement(expectation, True, f"uses {index} on {named}", tuple(notes))


def _judge_no_seqscan(expectation: Expectation, plan: _Plan, table: QName) -> Judgement:
    named = _named(expectation)
    reads = plan.reads_of(table)
    gaps = [r for r in reads if r.is_seqscan]
    if plan.forced:  # a full read is the sequential scan the planner was forced off
        gaps += [
            r for r in reads
            if (index_nodes := plan.index_nodes_of(r))
            and not any(plan.counts(i) for i in index_nodes)
        ]  # fmt: skip
    if gaps:
        return Judgement(expectation, False, _gap(gaps[0], plan, named))
    return Judgement(expectation, True, f"no sequential scan of {named}")


def _judge_seqscan(expectation: Expectation, plan: _Plan, table: QName) -> Judgement:
    named = _named(expectation)
    reads = plan.reads_of(table)
    seq = [r for r in reads if r.is_seqscan]
    if seq:
        return Judgement(expectation, True, f"known gap: {_plan_label(seq[0])}")
    serving = [r for r in reads if any(plan.counts(i) for i in plan.index_nodes_of(r))]
    if plan.forced and not serving:
        # seq scans were disabled: an index read without a condition is the same gap
        return Judgement(expectation, True, f"known gap: no index condition on {named}")
    now = _plan_label(reads[0]) if reads else f"{named} is not in the plan"
    return Judgement(
        expectation,
        False,
        f"documented a sequential scan of {named}, but the plan changed ({now}): update the check",
    )
