"""Starting the embedded server when its data directory already exists (target: under 2 s).

Usage: python benchmarks/embedded_start.py [--runs 7]
It initialises a throw-away data dir once, then times `plinto-db server start` after each
`plinto-db server stop`, and stops and removes everything it started.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from timing import wall  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    exe = shutil.which("plinto-db") or str(Path(sys.executable).parent / "plinto-db")
    folder = Path(tempfile.mkdtemp(prefix="plinto-db-bench-")) / "pgdata"
    start = [exe, "server", "start", "--data-dir", str(folder)]
    stop = [exe, "server", "stop", "--data-dir", str(folder)]
    try:
        first = wall(start)
        subprocess.run(stop, check=True, capture_output=True)
        samples = []
        for _ in range(args.runs):
            samples.append(wall(start))
            subprocess.run(stop, check=True, capture_output=True)
    finally:
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(folder.parent, ignore_errors=True)
    median = statistics.median(samples)
    print(f"first start (initdb): {first:.2f} s")
    print(
        f"restart with existing data dir: median {median:.2f} s over {args.runs} runs "
        f"(min {min(samples):.2f}, max {max(samples):.2f}); target < 2 s: "
        f"{'OK' if median < 2 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
