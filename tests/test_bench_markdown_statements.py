"""report.md's write-cost table shows a long statement cut between tokens, never inside a
name, a quoted name or a literal, and marked with `…`; a short one whole, with no marker."""

from __future__ import annotations

import re

from plinto_db.bench.markdown import STATEMENT_SHOWN, render, shortened

COLUMNS = ", ".join(
    f'"{name}"'
    for name in (
        "id",
        "user_id",
        "access_token_jti",
        "refresh_token_jti",
        "ip_address",
        "user_agent",
        "device_name",
        "status",
        "revoked",
        "created_at",
        "expires_at",
    )
)
INSERT = (
    f'INSERT INTO "public"."sessions" ({COLUMNS}) SELECT gen_random_uuid(), s."user_id" '
    "FROM (SELECT * FROM sessions LIMIT 2000) AS s"
)
UPDATE = 'UPDATE sessions SET "expires_at" = "expires_at" + interval \'1 second\''


def document() -> dict:
    figure = {"ops_per_s": 25_000.0, "rows": 2000, "rounds": 3, "batch_seconds": 0.08}
    writes = [
        {
            "table": "public.sessions",
            "operation": operation,
            "statement": statement,
            "before": figure,
            "after": figure,
            "after_over_before": 1.0,
        }
        for operation, statement in (("insert", INSERT), ("update", UPDATE))
    ]
    return {
        "started_at": "2025-01-01T00:00:00+00:00",
        "seconds": 12.0,
        "server": {"version": "18.6", "embedded": True, "settings": {}},
        "machine": {"cores": 2, "memory_bytes": 2**31},
        "rows": {"public.sessions": 1200},
        "options": {"iterations": 20, "warmup": 2, "max_seconds_per_query": 1.0},
        "phases": [{"name": "before", "status": "done", "seconds": 1.0, "catalog": "dropped 0"}],
        "catalog": {"indexes": 45, "found_valid": [], "restored": True},
        "queries": [],
        "writes": writes,
        "catalog_size": [],
        "http": None,
        "pgbench": None,
    }


def statement_cell(text: str, operation: str) -> str:
    row = next(line for line in text.splitlines() if f"| {operation} |" in line)
    return re.fullmatch(r".*\| `(.*)` \|", row).group(1)


def test_a_long_write_statement_is_cut_between_tokens_and_ends_with_an_ellipsis():
    assert len(INSERT) > STATEMENT_SHOWN
    shown = statement_cell(render(document(), []), "insert")
    assert shown.endswith(' "revoked", …')
    assert len(shown) <= STATEMENT_SHOWN
    kept = shown.removesuffix(" …")
    assert INSERT.startswith(kept) and INSERT[len(kept)] == " "


def test_a_short_write_statement_is_shown_whole_without_a_marker():
    assert statement_cell(render(document(), []), "update") == UPDATE


def test_a_cut_never_falls_inside_a_quoted_name_or_a_literal():
    quoted = "SELECT \"a name with spaces in it\" FROM t WHERE x = 'a literal with spaces'"
    assert shortened(quoted, 30) == "SELECT …"
    assert shortened(quoted, 50) == 'SELECT "a name with spaces in it" FROM t WHERE x …'
    assert shortened(quoted, 70) == 'SELECT "a name with spaces in it" FROM t WHERE x = …'
