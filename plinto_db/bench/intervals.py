"""How far a measured speedup can be trusted (pure): intervals, and the same-plan control.

The median's interval comes from the sample itself (order statistics, no assumption about
the shape of the latencies): with n timed executions, the ranks l and n + 1 - l such that
the true median lies between the l-th and the (n + 1 - l)-th value with at least 95 %
confidence. Below 6 executions no pair of ranks reaches 95 %: the interval is the whole
range (75 % at 3, 94 % at 5). A speedup's interval divides the before interval by the after
one, its ends the widest the two allow.

A row whose plan is the same before and after is a control: its true speedup is 1x. When a
control's interval leaves out 1x, the samples do not explain the difference: the machine
was noisy between the phases, and by as much as the control strayed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
Z95 = 1.959964
EXACT_UP_TO = 1000  # samples; above, the normal approximation of the binomial


def median_ranks(n: int, confidence: float = CONFIDENCE) -> tuple[int, int]:
    """1-based ranks (low, high) of the median's interval in an ascending sample of n."""
    if n < 1:
        raise ValueError("median interval of an empty sample")
    tail = (1 - confidence) / 2
    if n > EXACT_UP_TO:
        low = math.floor(n / 2 - Z95 * math.sqrt(n) / 2)
        return max(low, 1), min(n + 1 - max(low, 1), n)
    low, cumulative = 1, 0.0
    for k in range(n):  # P(B <= k) for B ~ Binomial(n, 1/2)
        cumulative += math.comb(n, k) / 2**n
        if cumulative > tail:
            break
        low = k + 1
    return low, n + 1 - low


def median_interval(ordered: Sequence[float]) -> tuple[float, float]:
    """The interval of the median of an ascending sample (see the module's docstring)."""
    low, high = median_ranks(len(ordered))
    return ordered[low - 1], ordered[high - 1]


def mean_interval(mean: float, stddev: float, n: int) -> tuple[float, float] | None:
    """mean ± 1.96 standard errors (pg_stat_statements' per-statement figures), or None."""
    if n < 2 or mean <= 0:
        return None
    half = Z95 * stddev / math.sqrt(n)
    return max(mean - half, mean * 1e-3), mean + half


def ratio_interval(
    before: tuple[float, float] | None, after: tuple[float, float] | None
) -> tuple[float, float] | None:
    """The interval of before / after from the two intervals, or None when one is missing."""
    if before is None or after is None or after[0] <= 0 or after[1] <= 0:
        return None
    return before[0] / after[1], before[1] / after[0]


def tightness(interval: tuple[float, float] | None) -> float:
    """high / low of a ratio's interval: 1 is exact; a missing interval is the loosest."""
    if interval is None or interval[0] <= 0:
        return math.inf
    return interval[1] / interval[0]


def strays(interval: tuple[float, float] | None) -> bool:
    """The interval leaves out 1x: the samples do not explain a difference from 1x."""
    return interval is not None and (interval[0] > 1 or interval[1] < 1)


@dataclass(frozen=True)
class Noise:
    """The same-plan rows (controls) and those that strayed from 1x beyond their interval."""

    controls: int
    strayed: tuple[tuple[str, float], ...]  # (check, its client p50 speedup)

    @property
    def noisy(self) -> bool:
        return bool(self.strayed)

    @property
    def factor(self) -> float:
        """How far the farthest control strayed, as a factor >= 1 (1.0: not at all)."""
        return max((max(s, 1 / s) for _, s in self.strayed if s > 0), default=1.0)

    def sentence(self) -> str:
        if not self.controls:
            return "no row has the same plan before and after: no control for the noise"
        if not self.noisy:
            return (
                f"the {self.controls} row(s) with the same plan before and after read 1× within "
                "their intervals: no sign of noise between the phases"
            )
        values = sorted(s for _, s in self.strayed)
        spread = f"{values[0]:.2f}×" + (f"–{values[-1]:.2f}×" if len(values) > 1 else "")
        return (
            f"the machine was noisy: {len(self.strayed)} of {self.controls} row(s) with the "
            f"same plan before and after read {spread} where 1× is expected, beyond what their "
            f"samples explain (up to {self.factor:.1f}× off); a speedup within that factor of "
            "1× is no difference"
        )
