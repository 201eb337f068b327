"""Wall-clock helpers shared by the benchmark scripts: run commands side by side, take medians."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence


def wall(command: Sequence[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
    )
    return time.perf_counter() - start


def interleaved(cases: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Run each case once per round, alternating, so machine noise hits all cases alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            samples[name].append(case())
    return samples


def summary(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) for name, values in samples.items()}


def print_table(medians: dict[str, float], baseline: str, runs: int) -> None:
    base = medians[baseline]
    print(f"{'case':<44} {'median s':>10} {'ratio':>8}   ({runs} runs each, interleaved)")
    for name, value in medians.items():
        print(f"{name:<44} {value:>10.3f} {value / base:>8.2f}")
