"""At 80 columns a wrapped note stays under its own item: check's unproven-index notes and
doctor's `kept` lines continue two columns deeper than the line they belong to, never at the
left edge. Real processes on a faked terminal (rich's FORCE_COLOR and COLUMNS), PostgreSQL 15
and 18."""

from __future__ import annotations

import re

import psycopg
from test_doctor_drop_sets import LEAVES, PAYMENTS

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTH = 80
TERMINAL = {"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": str(WIDTH), "TERM": "xterm"}


def _item(lines: list[str], start: str) -> list[str]:
    """The line starting with `start` and its continuation lines (deeper than it)."""
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    lead = len(start) - len(start.lstrip())
    block = [lines[first]]
    for line in lines[first + 1 :]:
        if len(line) - len(line.lstrip()) <= lead:
            break
        block.append(line)
    return block


def _screen(run_cli, *args: str) -> list[str]:
    done = run_cli(*args, env=TERMINAL)
    assert done.returncode in (0, 1), done.stderr
    lines = [ANSI.sub("", line) for line in done.stdout.splitlines()]
    assert all(len(line) <= WIDTH for line in lines), "\n".join(lines)
    return lines


def test_check_unproven_notes_wrap_under_their_index(run_cli, new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE t (id int NOT NULL, a int NOT NULL);"
            "INSERT INTO t SELECT i, i % 7 FROM generate_series(1, 5000) i;"
            "CREATE INDEX t_id_idx ON t (id); ANALYZE t"
        )
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "one.sql").write_text(
        "-- expect: index t_id_idx\nSELECT * FROM t WHERE id = 7;\n"
    )
    (tmp_path / "indexes").mkdir()
    (tmp_path / "indexes" / "i.sql").write_text(
        "CREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n"
        "CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n"
    )
    lines = _screen(
        run_cli,
        "check",
        "--dsn",
        dsn,
        "--mode",
        "forced",
        "--checks",
        str(tmp_path / "checks"),
        "--indexes",
        str(tmp_path / "indexes"),
    )
    block = _item(lines, "  unproven t_a_idx")
    assert len(block) > 1, lines  # the note is longer than 80 columns
    assert all(line.startswith("    ") and line[4] != " " for line in block[1:]), block
    assert " ".join(line.strip() for line in block).endswith(
        "(run plinto-db apply, or check with --mode hypothetical)"
    )


def test_doctor_kept_lines_wrap_under_their_index(run_cli, new_db):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(PAYMENTS)
        for leaf in LEAVES:
            conn.execute(f"CREATE INDEX {leaf}_customer_idx ON pay.{leaf} (customer_id)")
        conn.execute("CREATE INDEX payment_customer_paid_idx ON pay.payment (customer_id, paid)")
    lines = _screen(run_cli, "doctor", "--dsn", dsn, "--no-checks", "--min-stats-age", "0")
    block = _item(lines, "  kept pay.payment_customer_paid_idx")
    assert len(block) > 1, lines
    assert all(line.startswith("    ") and line[4] != " " for line in block[1:]), block
    assert " ".join(line.strip() for line in block).endswith("which are drop candidates")
