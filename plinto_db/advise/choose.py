"""Choosing and merging: from costed candidates to the fewest indexes that serve the checks.

Pure. A candidate *serves* a check when the check's plan uses it and it cuts the check's cost
by at least `min_gain`, and comes near the best candidate for that check: within NEAR_BEST of
its cost, or within NEAR_SHARE of the check's cost today (5,201 -> 4 is as good as
5,201 -> 0.4 for a query, and the second index may be three times the size). So a slightly
costlier index that serves three queries beats three exact ones. The choice is greedy set
cover: the candidate serving the most unserved checks first, ties to the smaller index, then
fewer keys. Merging then drops a proposal another one covers (doctor's rules: same
definition, or a leading prefix with the same predicate), handing its checks over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from plinto_db.advise.candidates import Candidate
from plinto_db.advise.model import NEAR_BEST, NEAR_SHARE


@dataclass(frozen=True)
class Trial:
    """One candidate planned with one check."""

    candidate: int  # index into the candidate list
    check: str
    cost: float
    used: bool  # the plan used the candidate


def serving(
    trials: list[Trial], before: Mapping[str, float], min_gain: float
) -> dict[int, dict[str, float]]:
    """candidate -> {check: cost} for every check it serves."""
    best: dict[str, float] = {}
    for t in trials:
        if t.used and t.check in before:
            best[t.check] = min(best.get(t.check, t.cost), t.cost)
    found: dict[int, dict[str, float]] = {}
    for t in trials:
        base = before.get(t.check)
        if not t.used or base is None or base <= 0:
            continue
        near = max(best[t.check] * NEAR_BEST, best[t.check] + NEAR_SHARE * base)
        if t.cost <= base * (1 - min_gain) and t.cost <= near:
            found.setdefault(t.candidate, {})[t.check] = t.cost
    return found


def greedy(
    serves: dict[int, dict[str, float]],
    candidates: list[Candidate],
    sizes: Mapping[int, int | None],
) -> dict[int, set[str]]:
    """candidate -> the checks it is chosen for; each check chosen for one candidate per table."""
    chosen: dict[int, set[str]] = {}
    open_pairs = {(c, check) for c, checks in serves.items() for check in checks}
    served_tables: set[tuple[str, tuple]] = set()  # (check, table) already served

    def table(c: int) -> tuple:
        return (candidates[c].schema, candidates[c].table)

    while open_pairs:
        best = min(
            (c for c, _ in open_pairs),
            key=lambda c: _rank(c, open_pairs, serves, candidates, sizes),
        )
        checks = {check for check in serves[best] if (best, check) in open_pairs}
        chosen[best] = checks
        served_tables.update((check, table(best)) for check in checks)
        open_pairs = {
            (c, check) for c, check in open_pairs if (check, table(c)) not in served_tables
        }
    return chosen


def _rank(
    c: int,
    open_pairs: set[tuple[int, str]],
    serves: dict[int, dict[str, float]],
    candidates: list[Candidate],
    sizes: Mapping[int, int | None],
) -> tuple:
    """Most unserved checks first, then the smaller index, then fewer keys."""
    gain = sum(1 for check in serves[c] if (c, check) in open_pairs)
    return (-gain, sizes.get(c) or 0, len(candidates[c].keys), c)


def merge(
    chosen: dict[int, set[str]],
    covers: Callable[[int, int], bool],
) -> dict[int, set[str]]:
    """Fold every proposal another one covers into it (`covers(wide, narrow)`)."""
    merged = {c: set(checks) for c, checks in chosen.items()}
    for narrow in sorted(merged):
        for wide in sorted(merged):
            if wide != narrow and narrow in merged and wide in merged and covers(wide, narrow):
                merged[wide] |= merged.pop(narrow)
                break
    return merged
