"""Tables fit the terminal without cutting a name, and a pipe gets plain text as wide as its
content (pure: rendered into a string, no server)."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from plinto_db.report.layout import Cell, Column, Table, print_table

LONG = "idx_organization_members_organization_id_role_created_at_desc"  # 61 characters
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def sample() -> Table:
    table = Table(
        (
            Column("name", name=True),
            Column("table", name=True),
            Column("state", brief=True),
            Column("size", justify="right", brief=True),
            Column("detail", wrap=True),
        ),
        title="status",
    )
    table.add(LONG, "public.organization_members", Cell("valid", "green"), "1.2 MB", "")
    table.add(
        "idx_short",
        "public.users",
        Cell("drifted", "magenta"),
        "8.0 kB",
        "keys (email, status) instead of (email); predicate (status = 'active') instead of "
        "(none); the live index backs foreign key fk_sessions_user on public.sessions",
    )
    return table


def render(table: Table, width: int, terminal: bool = True) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_table(table, console)
    return [ANSI.sub("", line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("width", [80, 120, 200])
def test_a_terminal_table_fits_its_width_and_keeps_every_name_whole(width):
    lines = render(sample(), width)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    text = "\n".join(lines)
    for name in (LONG, "public.organization_members", "idx_short", "public.users"):
        assert name in text, text


def test_free_text_wraps_before_anything_is_cut():
    lines = render(sample(), 200)
    text = " ".join(" ".join(lines).split())
    assert "fk_sessions_user on public.sessions" in text  # every word of the detail is there
    assert "…" not in "\n".join(lines)


def test_the_narrow_layout_puts_what_does_not_fit_under_the_first_name():
    lines = render(sample(), 80)
    long_row = lines.index(f"{LONG}  valid  1.2 MB")
    assert lines[long_row + 1] == "    table: public.organization_members"
    short_row = next(i for i, line in enumerate(lines) if line.startswith("idx_short"))
    assert lines[short_row] == "idx_short  public.users  drifted  8.0 kB"
    assert lines[short_row + 1].startswith("    detail: keys (email, status)")


def test_a_pipe_gets_plain_text_as_wide_as_the_content():
    lines = render(sample(), 80, terminal=False)
    assert max(len(line) for line in lines) > 80  # never folded to a terminal's width
    header = lines[1]
    assert header.split() == ["name", "table", "state", "size", "detail"]
    row = next(line for line in lines if line.startswith(LONG))
    assert "public.organization_members" in row and "valid" in row


def test_a_row_must_give_a_value_for_every_column():
    with pytest.raises(ValueError, match="2 values for 5 columns"):
        sample().add("a", "b")


def test_when_only_the_free_text_does_not_fit_the_rest_stays_in_aligned_columns():
    lines = render(sample(), 120)
    assert lines[1].split() == ["name", "table", "state", "size"]
    long_row = next(line for line in lines if line.startswith(LONG))
    short_row = next(line for line in lines if line.startswith("idx_short"))
    assert long_row.index("valid") == short_row.index("drifted") == lines[1].index("state")
    detail = lines[lines.index(short_row) + 1]
    assert detail.startswith("    detail: keys (email, status)")
    assert all(len(line) <= 120 for line in lines)


def test_secondary_columns_leave_before_anything_is_cut_or_folded():
    table = Table(
        (
            Column("query", name=True),
            Column("verdict", brief=True),
            Column("used", wrap=True),
            Column("expected", wrap=True, secondary=True),
        )
    )
    table.add("25_sessions_list_mine", "pass", "idx_sessions_management", "index " + "x" * 90)
    wide = render(table, 200)
    assert wide[0].split() == ["query", "verdict", "used", "expected"]
    narrow = render(table, 80)
    assert narrow[0].split() == ["query", "verdict", "used"]  # expected left out, a table still
    assert "25_sessions_list_mine" in narrow[-1] and "idx_sessions_management" in narrow[-1]


def test_a_wrapping_column_keeps_its_longest_word_whole():
    table = Table((Column("name", name=True), Column("indexes", wrap=True)))
    long_index = "idx_organization_members_organization_id_role"
    table.add("q" * 20, f"{long_index}, ix_a, ix_b, {long_index}_2")
    lines = render(table, 72)
    assert all(len(line) <= 72 for line in lines)
    assert sum(long_index in line for line in lines) == 2  # both names whole, on their lines


def test_numbers_are_right_aligned_on_a_terminal_and_in_a_pipe():
    table = Table((Column("table", name=True), Column("rows", justify="right", brief=True)))
    table.add("users", "300")
    table.add("total", "15,641")
    for terminal in (True, False):
        lines = render(table, 80, terminal=terminal)
        rows = [line for line in lines if line.startswith(("users", "total"))]
        assert rows[0].endswith("   300") and rows[1].endswith("15,641"), lines
        assert len(rows[0]) == len(rows[1])


def apply_like() -> Table:
    """apply's columns, with names long enough that seconds no longer fits at 80."""
    table = Table(
        (
            Column("index", name=True),
            Column("table", name=True),
            Column("action", brief=True),
            Column("result", brief=True),
            Column("seconds", justify="right", brief=True),
            Column("detail", wrap=True),
        ),
        title="plinto-db apply",
    )
    table.add(
        "customers_country_active",
        '"Shop"."Customers"',
        "refuse-drifted",
        Cell("refused", "magenta"),
        "0.00",
        "created_at ASC instead of DESC",
    )
    table.add("products_id", "public.products", "create", Cell("done", "green"), "12.34", "")
    return table


def test_the_narrow_layout_keeps_the_header_over_the_columns_that_fit():
    lines = render(apply_like(), 80)
    assert lines[0] == "plinto-db apply"
    header = lines[1]
    assert header.split() == ["index", "table", "action", "result"]
    first = next(line for line in lines if line.startswith("customers_country_active"))
    second = next(line for line in lines if line.startswith("products_id"))
    starts = [header.index(h) for h in ("table", "action", "result")]
    for row in (first, second):  # these cells hold no spaces: one word each
        assert [row.index(cell) for cell in row.split()[1:]] == starts, row
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)


def test_a_brief_column_that_does_not_fit_goes_below_in_every_row():
    lines = render(apply_like(), 80)
    first = lines.index(next(line for line in lines if line.startswith("customers_country")))
    second = lines.index(next(line for line in lines if line.startswith("products_id")))
    assert lines[first + 1] == "    seconds: 0.00 · detail: created_at ASC instead of DESC"
    assert lines[second + 1] == "    seconds: 12.34"  # below too, never inline in one row
    assert "0.00" not in lines[first] and "12.34" not in lines[second]


def test_the_first_line_keeps_the_table_s_column_order_up_to_the_first_that_does_not_fit():
    table = Table(
        (
            Column("at", brief=True),
            Column("index", name=True),
            Column("table", name=True),
            Column("action", brief=True),
            Column("seconds", justify="right", brief=True),
        )
    )
    table.add(
        "2025-01-02 03:04:05+0000",
        "customers_country_active",
        '"Shop"."Customers"',
        "replace-drifted",
        "0.01",
    )
    lines = render(table, 80)
    assert lines[0].split() == ["at", "index", "table"]  # seconds would fit, after action
    assert lines[1].split() == [
        "2025-01-02",
        "03:04:05+0000",
        "customers_country_active",
        '"Shop"."Customers"',
    ]
    assert lines[2] == "    action: replace-drifted · seconds: 0.01"


def test_names_that_do_not_fit_side_by_side_fall_back_to_a_name_then_what_fits():
    table = Table(
        (Column("at", brief=True), Column("index", name=True), Column("table", name=True))
    )
    table.add("2025-01-02 03:04:05+0000", "customers_country_active", '"Shop"."Customers"')
    lines = render(table, 40)
    assert lines[0] == "customers_country_active"  # no header: the names alone do not fit
    below = " ".join(line.strip() for line in lines[1:])
    assert below == 'at: 2025-01-02 03:04:05+0000 · table: "Shop"."Customers"'


def test_wrapping_never_breaks_inside_a_quoted_name():
    from plinto_db.report import wrap

    text = 'no check reads "my schema"."Order Lines" nor "Shop"."Customers" nor sales.orders'
    lines = wrap(text, 30, indent="  ")
    assert all(len(line) <= 30 for line in lines if '"my schema"' not in line), lines
    assert any('"my schema"."Order Lines"' in line for line in lines), lines
    assert " ".join(line.strip() for line in lines) == text


def test_a_note_on_a_terminal_wraps_at_its_width_and_stays_one_line_in_a_pipe(monkeypatch):
    import io
    import sys

    from plinto_db import report

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    message = 'using the embedded PostgreSQL in "/a long/data dir/that is/deep" (started)'
    monkeypatch.setenv("COLUMNS", "40")
    for stream, wanted in ((Terminal(), 40), (io.StringIO(), None)):
        monkeypatch.setattr(sys, "stderr", stream)
        report.note(message)
        lines = stream.getvalue().splitlines()
        if wanted is None:
            assert lines == [f"plinto-db: {message}"]
        else:
            assert len(lines) > 1 and all(len(line) <= wanted for line in lines), lines
            assert all(line.startswith("  ") for line in lines[1:])
            assert '"/a long/data dir/that is/deep"' in stream.getvalue()  # never cut inside
