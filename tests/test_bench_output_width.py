"""bench's summary and demo's conclusion with long lists of names: on a terminal of 80
columns every line fits, every name is whole and a continuation is indented; in a pipe each
line is as wide as its content. Real processes render a results document (no server)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTH = 80
RENDER = """
import json, sys
from types import SimpleNamespace
from plinto_db.bench.demo import conclusion
from plinto_db.report.bench import print_conclusion, render_table

doc = json.loads(open(sys.argv[1]).read())
render_table(doc, sys.argv[2])
result = SimpleNamespace(
    seconds=93.0,
    data="seeded 2,000 users (31,000 rows in 3 s)",
    check="55 checks, all pass",
)
print_conclusion(result, conclusion(doc), sys.argv[2], wrap=True)
"""
REPORT = "/tmp/plinto-bench/demo-20250101-120000/report.md"
HELPED = [f"{n:02d}_sessions_refresh_by_organization_member_{n}" for n in range(1, 7)]
NOT_HELPED = [f"{n:02d}_activity_logs_recent_for_user" for n in range(10, 40)]
WRITE_TABLES = [
    "public.sessions",
    "public.activity_logs",
    '"Shop"."CustomersOfTheWholeWorld"',
    '"Shop"."Customer_Addresses_And_Phones"',
]


def terminal(width: int) -> dict[str, str]:
    """A terminal as rich sees one (colours off, so the text can be compared)."""
    return {"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": str(width), "TERM": "xterm"}


def phase(p50: float, buffers: int) -> dict:
    return {"p50_ms": p50, "buffers": buffers}


def results_document() -> dict:
    """What results.json holds, cut to what the terminal shows."""
    helped = [
        {
            "check": name,
            "before": phase(40.0 + n, 11_892),
            "after": phase(0.02, 7),
            "speedup_p50": 2000.0 + n,
            "verdict": "helped",
            "reason": f"idx_sessions_management_{n} instead of a sequential scan of "
            "public.sessions, reading 11,892 buffers before and 7 after",
        }
        for n, name in enumerate(HELPED)
    ]
    not_helped = [
        {
            "check": name,
            "before": phase(0.05, 4),
            "after": phase(0.05, 4),
            "speedup_p50": 1.0,
            "verdict": "not-helped",
            "reason": "the after plan uses no catalog index",
        }
        for name in NOT_HELPED
    ]
    writes = [
        {
            "table": table,
            "operation": operation,
            "before": {"ops_per_s": 25_189.8},
            "after": {"ops_per_s": 10_579.7},
            "after_over_before": 0.42,
        }
        for table in WRITE_TABLES
        for operation in ("insert", "update")
    ]
    sizes = [
        {"table": table, "indexes": 7, "bytes": 4 * 2**20, "table_bytes": 6 * 2**20}
        for table in WRITE_TABLES
    ]
    return {
        "queries": helped + not_helped,
        "phases": [
            {"name": "before", "status": "done", "catalog": "dropped 45 catalog index(es)"},
            {"name": "after", "status": "done", "catalog": "built 45 catalog index(es)"},
        ],
        "writes": writes,
        "catalog_size": sizes,
        "pgbench": None,
        "http": None,
        "catalog": {"restored": True},
    }


def render(tmp_path: Path, env: dict[str, str]) -> list[str]:
    document = tmp_path / "results.json"
    document.write_text(json.dumps(results_document()))
    done = subprocess.run(
        [sys.executable, "-c", RENDER, str(document), REPORT],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [ANSI.sub("", line) for line in done.stdout.splitlines()]


def words(lines: list[str]) -> set[str]:
    return {w.strip("(),:;") for line in lines for w in line.split()}


def block(lines: list[str], starts: str) -> list[str]:
    """The line starting with `starts` and its indented continuation lines."""
    first = next(i for i, line in enumerate(lines) if line.startswith(starts))
    rest = lines[first + 1 :]
    end = next((i for i, line in enumerate(rest) if not line.startswith(" ")), len(rest))
    return lines[first : first + 1 + end]


@pytest.fixture
def screen(tmp_path: Path) -> list[str]:
    return render(tmp_path, terminal(WIDTH))


def test_every_summary_and_conclusion_line_fits_80_columns(screen):
    too_wide = [line for line in screen if len(line) > WIDTH]
    assert not too_wide, "\n".join(too_wide)


def test_check_and_table_names_stay_whole_when_wrapped(screen):
    missing = [n for n in [*HELPED, *NOT_HELPED, *WRITE_TABLES] if n not in words(screen)]
    assert not missing, f"cut or missing: {missing}"


def test_the_not_helped_list_wraps_with_its_names_indented(screen):
    listed = block(screen, f"not helped by the catalog ({len(NOT_HELPED)}): ")
    assert len(listed) > 2
    assert all(line.startswith("  ") and not line.startswith("   ") for line in listed[1:])
    assert [w for w in " ".join(listed).split() if w.rstrip(",") in NOT_HELPED] == [
        f"{name}," for name in NOT_HELPED[:-1]
    ] + [NOT_HELPED[-1]]


def test_a_largest_speedup_continues_under_its_check_name(screen):
    speedups = block(screen, "largest speedups")[1:]
    fastest = HELPED[::-1][:5]
    firsts = [next(line for line in speedups if name in line) for name in fastest]
    assert [line.index(name) for line, name in zip(firsts, fastest, strict=True)] == [12] * 5
    continued = [line for line in speedups if line not in firsts]
    assert continued and all(line[:12].isspace() and line[12] != " " for line in continued)


def test_write_costs_are_one_line_per_table_and_the_report_line_is_last(screen):
    costs = block(screen, "write throughput with the catalog (after / before):")[1:]
    assert costs == [f"  {table}: insert 0.42×, update 0.42×" for table in WRITE_TABLES]
    assert screen[-1] == f"report: {REPORT}"


def test_a_pipe_gets_each_line_whole_as_wide_as_its_content(tmp_path):
    lines = render(tmp_path, {"COLUMNS": str(WIDTH)})
    listed = next(line for line in lines if line.startswith("not helped by the catalog"))
    assert listed.endswith(", ".join(NOT_HELPED)) and len(listed) > WIDTH
    assert all("\x1b[" not in line for line in lines)
