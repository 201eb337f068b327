"""Choosing the statements that matter: the biggest share of execution time (or calls) first,
down to a share of the total (`--cover`) or a count (`--top`). Pure code.

The share is of the workload (the statements `classify` keeps, after `--schema` and
`--min-calls`): a database's time also goes to DDL, catalog reads and the tool itself, none
of which an index in the catalog can help.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from plinto_db.capture.statements import Classified


class RankBy(StrEnum):
    TOTAL = "total"  # total execution time: what the server spends on it
    CALLS = "calls"


@dataclass(frozen=True)
class Chosen:
    """A workload statement with its rank and its share of the workload's time (or calls)."""

    item: Classified
    rank: int
    share: float  # 0..1 of the workload's total by the chosen measure


@dataclass(frozen=True)
class Choice:
    chosen: tuple[Chosen, ...]
    below_cut: tuple[Chosen, ...]  # workload statements past --cover / --top
    left_out: tuple[Classified, ...]  # not workload, or narrowed away, each with its reason
    covered: float  # share of the workload the chosen statements account for


def measure(item: Classified, by: RankBy) -> float:
    return float(item.statement.calls) if by is RankBy.CALLS else item.statement.total_ms


def choose(
    items: Iterable[Classified],
    *,
    by: RankBy = RankBy.TOTAL,
    cover: float | None = 0.9,
    top: int | None = None,
    min_calls: int = 1,
    schema_of: dict[int, str | None] | None = None,
    schemas: Sequence[str] = (),
) -> Choice:
    """The statements that matter, biggest first; ties broken by queryid (stable files)."""
    left_out: list[Classified] = []
    workload: list[Classified] = []
    for item in items:
        if item.reason:
            left_out.append(item)
        elif item.statement.calls < min_calls:
            left_out.append(_narrowed(item, f"fewer than --min-calls {min_calls} calls"))
        elif schemas and (schema_of or {}).get(item.statement.queryid) not in schemas:
            left_out.append(_narrowed(item, f"main table outside --schema {', '.join(schemas)}"))
        else:
            workload.append(item)
    workload.sort(key=lambda i: (-measure(i, by), i.statement.queryid))
    total = sum(measure(i, by) for i in workload)
    ranked = [
        Chosen(item, rank, measure(item, by) / total if total else 0.0)
        for rank, item in enumerate(workload, start=1)
    ]
    cut = _cut(ranked, cover, top)
    chosen = tuple(ranked[:cut])
    return Choice(
        chosen=chosen,
        below_cut=tuple(ranked[cut:]),
        left_out=tuple(left_out),
        covered=sum(c.share for c in chosen),
    )


def _cut(ranked: list[Chosen], cover: float | None, top: int | None) -> int:
    """How many of the ranked statements to keep: until their share reaches `cover` (the
    statement that crosses it included), and no more than `top`."""
    count = len(ranked)
    if cover is not None:
        reached = 0.0
        for position, item in enumerate(ranked, start=1):
            reached += item.share
            if reached >= cover - 1e-9:
                count = position
                break
    if top is not None:
        count = min(count, top)
    return count


def _narrowed(item: Classified, reason: str) -> Classified:
    return Classified(item.statement, item.kind, item.tables, reason)


def parse_cover(text: str) -> float:
    """`90%`, `90` or `0.9` -> 0.9; raises ValueError outside (0, 100%]."""
    value = text.strip()
    percent = value.endswith("%")
    number = float(value.rstrip("%").strip())
    share = number / 100 if percent or number > 1 else number
    if not 0 < share <= 1:
        raise ValueError(text)
    return share
