"""Reading EXPLAIN (FORMAT JSON) plans: every node, with what a plan check needs to know.

Pure code: no database. The walker visits every node: nested `Plans` lists (which hold
InitPlans, SubPlans, CTEs, Append members, BitmapAnd/BitmapOr children), and tolerates the key
differences between PostgreSQL 13 and 18 by reading only keys it needs, each optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from plinto_db.check.display import shown
from plinto_db.pg.identifiers import quote_ident

INDEX_NODES = frozenset({"Index Scan", "Index Only Scan", "Bitmap Index Scan"})
SEQ_NODES = frozenset({"Seq Scan"})  # a parallel seq scan is "Seq Scan" with Parallel Aware
# scan nodes whose relation is read by other means than an index (neither pass nor fail)
OTHER_SCANS = frozenset({"Tid Scan", "Tid Range Scan", "Sample Scan", "Foreign Scan"})


@dataclass(frozen=True)
class PlanNode:
    """One node of a plan, with what a plan check needs to know about it."""

    node_type: str
    depth: int
    relation: str | None  # a Bitmap Index Scan inherits its Bitmap Heap Scan's relation
    schema: str | None
    alias: str | None
    index: str | None  # the index name as the plan shows it (a partition's own index)
    parent_relationship: str | None
    subplan_name: str | None
    plan_rows: float | None
    index_cond: str | None
    filter: str | None
    parallel: bool
    disabled: bool  # PG18 marks nodes a disabled setting could not avoid
    actual_rows: float | None = None
    actual_ms: float | None = None
    loops: float | None = None
    plan_index: str | None = None  # the names the plan showed, before `resolve` mapped them
    plan_relation: str | None = None
    plan_schema: str | None = None
    position: int = 0  # this node's place in walk()'s tuple
    parent: int | None = None  # the parent node's place, None for the root
    strategy: str | None = None  # Aggregate/SetOp: Plain, Sorted, Hashed, Mixed
    order_by: str | None = None  # an index scan's own ordering operator (KNN: `<->`)

    @property
    def uses_index(self) -> bool:
        return self.index is not None and self.node_type in INDEX_NODES

    @property
    def is_seqscan(self) -> bool:
        return self.node_type in SEQ_NODES

    def label(self) -> str:
        """As EXPLAIN shows the node, names quoted, the relation qualified outside `public`."""
        text = ("Parallel " if self.parallel and self.is_seqscan else "") + self.node_type
        if self.index:
            text += f" using {quote_ident(self.index)}"
        if self.relation:
            text += f" on {shown(self.schema, self.relation)}"
            if self.alias and self.alias != self.relation:
                text += f" {quote_ident(self.alias)}"
        return text


def root_of(explain: Any) -> Mapping[str, Any]:
    """The top plan node of what EXPLAIN (FORMAT JSON) returned (list, dict, or a Plan)."""
    doc = explain[0] if isinstance(explain, list) and explain else explain
    if isinstance(doc, Mapping) and isinstance(doc.get("Plan"), Mapping):
        return doc["Plan"]
    if isinstance(doc, Mapping) and "Node Type" in doc:
        return doc
    raise ValueError("not an EXPLAIN (FORMAT JSON) document: no Plan")


def walk(explain: Any) -> tuple[PlanNode, ...]:
    """Every node of the plan, depth first, parents before children."""
    nodes: list[PlanNode] = []
    _walk(root_of(explain), 0, None, None, nodes)
    return tuple(nodes)


def _walk(
    node: Mapping[str, Any],
    depth: int,
    parent: int | None,
    heap_relation: tuple | None,
    out: list[PlanNode],
) -> None:
    node_type = str(node.get("Node Type", "?"))
    relation = node.get("Relation Name")
    schema = node.get("Schema")
    alias = node.get("Alias")
    if relation is None and node_type == "Bitmap Index Scan" and heap_relation:
        relation, schema, alias = heap_relation
    position = len(out)
    out.append(
        PlanNode(
            node_type=node_type,
            depth=depth,
            relation=relation,
            schema=schema,
            alias=alias,
            index=node.get("Index Name"),
            parent_relationship=node.get("Parent Relationship"),
            subplan_name=node.get("Subplan Name"),
            plan_rows=_number(node.get("Plan Rows")),
            index_cond=node.get("Index Cond") or node.get("Recheck Cond"),
            filter=node.get("Filter"),
            parallel=bool(node.get("Parallel Aware")),
            disabled=bool(node.get("Disabled")),
            actual_rows=_number(node.get("Actual Rows")),
            actual_ms=_number(node.get("Actual Total Time")),
            loops=_number(node.get("Actual Loops")),
            position=position,
            parent=parent,
            strategy=node.get("Strategy"),
            order_by=node.get("Order By"),
        )
    )
    if node_type == "Bitmap Heap Scan":
        heap_relation = (relation, schema, alias)
    elif node_type not in ("BitmapAnd", "BitmapOr"):
        heap_relation = None
    for child in node.get("Plans") or ():
        if isinstance(child, Mapping):
            _walk(child, depth + 1, position, heap_relation, out)


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def used_indexes(nodes: tuple[PlanNode, ...]) -> tuple[str, ...]:
    """Index names in plan order, each once."""
    return tuple(dict.fromkeys(n.index for n in nodes if n.uses_index and n.index))


def scan_summary(nodes: tuple[PlanNode, ...]) -> tuple[str, ...]:
    """The scan nodes without index names, e.g. `Index Scan on users`, each once. A partition
    read (an Append or Merge Append member) is named: `Index Scan on events_2024, events_2025
    (2 partitions of app.events)`; more than PARTITIONS_LISTED: the first, `…`, the last."""
    partitions: dict[str, list[str]] = {}
    for node in nodes:
        if node.relation is None:
            continue
        part = node.plan_relation
        if part is None or part == node.relation:
            partitions.setdefault(replace(node, index=None).label(), [])
            continue
        kind = replace(node, index=None, relation=None).label()
        key = f"{kind} on {shown(node.schema, node.relation)}"
        partitions.setdefault(key, []).append(shown(node.plan_schema, part))
    return tuple(_with_partitions(label, parts) for label, parts in partitions.items())


PARTITIONS_LISTED = 3


def _with_partitions(label: str, partitions: list[str]) -> str:
    """`Seq Scan on app.events` naming the partitions read under it."""
    parts = list(dict.fromkeys(partitions))
    if not parts:
        return label
    kind, _, root = label.partition(" on ")
    if len(parts) == 1:
        return f"{kind} on {parts[0]} (partition of {root})"
    listed = ", ".join(parts) if len(parts) <= PARTITIONS_LISTED else f"{parts[0]} … {parts[-1]}"
    return f"{kind} on {listed} ({len(parts)} partitions of {root})"


def render_tree(explain: Any, *, max_lines: int = 12) -> str:
    """A compact text rendering of the plan's top, for failure messages."""
    lines: list[str] = []
    for node in walk(explain):
        if len(lines) >= max_lines:
            lines.append("  ...")
            break
        prefix = "  " * node.depth + ("-> " if node.depth else "")
        extra = []
        if node.subplan_name:
            extra.append(node.subplan_name)
        if node.plan_rows is not None:
            extra.append(f"rows={node.plan_rows:g}")
        if node.index_cond:
            extra.append(f"cond: {node.index_cond}")
        if node.filter:
            extra.append(f"filter: {node.filter}")
        if node.disabled:
            extra.append("disabled")
        lines.append(prefix + node.label() + (f"  ({'; '.join(extra)})" if extra else ""))
    return "\n".join(lines)


def top_rows(explain: Any) -> float | None:
    return _number(root_of(explain).get("Plan Rows"))


def analyze_figures(explain: Any) -> dict[str, float | None]:
    """Execution time and shared buffers from an EXPLAIN (ANALYZE, BUFFERS) document."""
    doc = explain[0] if isinstance(explain, list) and explain else explain
    root = root_of(explain)
    return {
        "execution_ms": _number(doc.get("Execution Time")) if isinstance(doc, Mapping) else None,
        "planning_ms": _number(doc.get("Planning Time")) if isinstance(doc, Mapping) else None,
        "actual_rows": _number(root.get("Actual Rows")),
        "shared_hit": _number(root.get("Shared Hit Blocks")),
        "shared_read": _number(root.get("Shared Read Blocks")),
    }
