"""`plinto-db --help` start-up against the floor `python -c "import typer, rich"`.

Target (issue 2): at most 1.3x. Usage: python benchmarks/startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import compile_bytecode  # noqa: E402
from timing import interleaved, print_table, summary, wall  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    compile_bytecode()
    exe = shutil.which("plinto-db") or str(Path(sys.executable).parent / "plinto-db")
    cases = {
        'python -c "import typer, rich"': lambda: wall(
            [sys.executable, "-c", "import typer, rich"]
        ),
        "plinto-db --help": lambda: wall([exe, "--help"]),
    }
    medians = summary(interleaved(cases, args.runs))
    print_table(medians, 'python -c "import typer, rich"', args.runs)
    ratio = medians["plinto-db --help"] / medians['python -c "import typer, rich"']
    print(f"ratio {ratio:.2f} (target <= 1.30): {'OK' if ratio <= 1.30 else 'OVER'}")


if __name__ == "__main__":
    main()
