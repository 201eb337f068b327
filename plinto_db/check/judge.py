"""Judging a plan against a check's expectations. Pure code: no database.

The judge compares plan *shape* (which node scans which relation with which index), never costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from plinto_db.check.planwalk import PlanNode, used_indexes
from plinto_db.check.workload import Check, Expectation, ExpectKind


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"


@dataclass(frozen=True)
class Judgement:
    expectation: Expectation
    passed: bool
    reason: str


def _bare(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _on_table(node: PlanNode, table: str) -> bool:
    """Does the node read `table`: its partitioned root, or the partition itself by name."""
    if node.relation is None or _bare(table) not in (node.relation, node.plan_relation):
        return False
    schema = table.rsplit(".", 1)[0] if "." in table else None
    return schema is None or node.schema is None or node.schema == schema


def judge_expectation(
    expectation: Expectation, nodes: tuple[PlanNode, ...], *, forced: bool = False
) -> Judgement:
    """Does the plan meet the expectation? `forced`: the plan came with seq scans disabled."""
    used = used_indexes(nodes)
    shown = ", ".join(used) if used else "no index"
    kind = expectation.kind
    if kind in (ExpectKind.INDEX, ExpectKind.ANY_OF):
        wanted = {_bare(t) for t in expectation.targets}
        hit = [name for name in used if name in wanted]
        # a partition's own name for an index, as EXPLAIN shows it, names it too
        hit += [n.plan_index for n in nodes if n.uses_index and n.plan_index in wanted]
        if hit:
            return Judgement(expectation, True, f"uses {hit[0]}")
        return Judgement(
            expectation, False, f"expected {expectation.describe()}; plan uses {shown}"
        )
    table = expectation.targets[0]
    seq = [n for n in nodes if n.is_seqscan and _on_table(n, table)]
    if kind is ExpectKind.SEQSCAN:
        if seq:
            return Judgement(expectation, True, f"known gap: {seq[0].label()}")
        serving = [n for n in nodes if n.uses_index and _on_table(n, table) and n.index_cond]
        if forced and not serving:
            # seq scans were disabled: an index read without a condition is the same gap
            return Judgement(expectation, True, f"known gap: no index condition on {table}")
        used_on = [n.label() for n in nodes if _on_table(n, table)]
        now = used_on[0] if used_on else f"{table} is not in the plan"
        return Judgement(
            expectation,
            False,
            f"documented a sequential scan of {table}, but the plan changed ({now}): "
            "update the check",
        )
    if kind is ExpectKind.NO_SEQSCAN:
        if seq:
            return Judgement(expectation, False, f"sequential scan of {table}: {seq[0].label()}")
        return Judgement(expectation, True, f"no sequential scan of {table}")
    on_table = [n for n in nodes if n.uses_index and _on_table(n, table)]
    if seq:
        return Judgement(expectation, False, f"sequential scan of {table}: {seq[0].label()}")
    if not on_table:
        scans = [n.label() for n in nodes if _on_table(n, table)]
        how = f"{table} is read by {scans[0]}" if scans else f"{table} is not in the plan"
        return Judgement(expectation, False, f"no index on {table} is used ({how})")
    return Judgement(expectation, True, f"uses {on_table[0].index} on {table}")


def judge(
    check: Check, nodes: tuple[PlanNode, ...], *, forced: bool = False
) -> tuple[Verdict, tuple[Judgement, ...]]:
    """Every expectation of the check must hold."""
    judgements = tuple(judge_expectation(e, nodes, forced=forced) for e in check.expectations)
    verdict = Verdict.PASS if all(j.passed for j in judgements) else Verdict.FAIL
    return verdict, judgements
