"""The workload loader (checks/*.sql headers), without a database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from plinto_db.check.workload import (
    ExpectKind,
    load_check,
    load_workload,
    param_count,
    parse_check,
    split_params,
)
from plinto_db.errors import UserError

REPO = Path(__file__).resolve().parent.parent
PLINTO_TABLES = {
    "users", "organizations", "sessions", "organization_members", "organization_invitations",
    "activity_logs", "magic_links", "password_resets", "email_verifications", "oauth_accounts",
    "passkeys", "webhook_endpoints", "webhook_events", "webhook_deliveries", "scim_resources",
    "audit_logs", "policies",
}  # fmt: skip


def parse(text: str, name: str = "q.sql"):
    return parse_check(text, Path(name))


def error_of(text: str, name: str = "q.sql") -> str:
    with pytest.raises(UserError) as info:
        parse(text, name)
    return info.value.message


def test_every_expectation_form_and_values():
    check = parse(
        "-- Sign-in by email.\n"
        "-- source: auth.py:236\n"
        "-- expect: any-of idx_a, public.idx_b\n"
        "-- expect: index-on users\n"
        "-- expect: no-seqscan sessions\n"
        "-- expect: seqscan policies\n"
        "-- expect: index idx_c\n"
        "-- params: 'a,b', 42\n"
        "SELECT * FROM users WHERE email = $1 AND id = $2;\n",
        "signin.sql",
    )
    assert check.name == "signin"
    assert [e.kind for e in check.expectations] == [
        ExpectKind.ANY_OF,
        ExpectKind.INDEX_ON,
        ExpectKind.NO_SEQSCAN,
        ExpectKind.SEQSCAN,
        ExpectKind.INDEX,
    ]
    assert check.expectations[0].targets == ("idx_a", "public.idx_b")
    assert [e.line for e in check.expectations] == [3, 4, 5, 6, 7]
    assert check.params == ("'a,b'", "42")
    assert check.param_count == 2
    assert check.sql == "SELECT * FROM users WHERE email = $1 AND id = $2"
    assert check.sql_line == 9
    assert check.description == "Sign-in by email."
    assert check.source == "auth.py:236"
    assert check.tables() == ((None, "users"), (None, "sessions"), (None, "policies"))
    assert check.indexes() == ((None, "idx_a"), ("public", "idx_b"), (None, "idx_c"))
    assert check.index_names() == ("idx_a", "public.idx_b", "idx_c")
    assert check.line == 3 and check.location == "signin.sql:3"


def test_sample_query_with_continuation_line():
    check = parse(
        "-- expect: index idx_a\n"
        "-- sample: SELECT email FROM users\n"
        "--     WHERE status = 'active' LIMIT 1;\n"
        "SELECT 1 FROM users WHERE email = $1\n"
    )
    assert check.sample == "SELECT email FROM users WHERE status = 'active' LIMIT 1"
    assert check.sample_line == 2 and check.params is None and check.has_values


def test_quoted_names_and_case():
    check = parse('-- expect: INDEX "Odd Name"\nSELECT 1')
    assert check.expectations[0].targets == ("Odd Name",)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("-- expect: uses idx_a\nSELECT 1", 1, "unknown expectation 'uses'"),
        ("-- expect: index\nSELECT 1", 1, "needs a name"),
        ("-- expect: index a, b\nSELECT 1", 1, "use any-of"),
        ("-- expect: any-of a\nSELECT 1", 1, "at least two"),
        ("-- expect: index-on a, b\nSELECT 1", 1, "exactly one"),
        ("-- expect: index idx a\nSELECT 1", 1, "is not an index or table name"),
        ("-- x\n-- expects: index a\nSELECT 1", 2, "unknown header directive 'expects'"),
        ("-- expect: index a\n-- sample-query: SELECT 1\nSELECT 1", 2, "unknown header directive"),
        ("-- Just prose\nSELECT 1", 1, "no `-- expect:` line"),
        ("-- expect: index a\n-- params: 1, 2\nSELECT $1", 2, "2 parameter value(s)"),
        ("-- expect: index a\n-- params: 'x\nSELECT $1", 2, "unterminated"),
        ("-- expect: index a\n-- params: f(1\nSELECT $1", 2, "unbalanced"),
        ("-- expect: index a\n-- params: 1,,2\nSELECT $1", 2, "empty value"),
        ("-- expect: index a\n-- params: 1\nSELECT 1", 2, "has no $1"),
        ("-- expect: index a\n-- params: 1\n-- sample: SELECT 1\nSELECT $1", 3, "not both"),
        ("-- expect: index a\n-- params: 1\n-- params: 2\nSELECT $1", 3, "given twice"),
        ("-- expect: index a\n\n-- only comments", 3, "no SQL statement"),
        ("-- expect: index a\nSELECT 1;\nSELECT 2;", 2, "one statement per check file"),
    ],
)
def test_bad_headers_name_file_and_line(text: str, line: int, fragment: str):
    message = error_of(text, "checks/bad.sql")
    assert message.startswith(f"checks/bad.sql:{line}:"), message
    assert fragment in message


def test_prose_that_looks_like_a_key_stays_description():
    check = parse("-- Note: the unique index is as good.\n-- expect: index a\nSELECT 1")
    assert check.description == "Note: the unique index is as good."


def test_param_count_ignores_strings_comments_and_dollar_quotes():
    assert param_count("SELECT $1, $12") == 12
    assert param_count("SELECT '$9', \"$8\", $1 -- $7\n /* $6 */") == 1
    assert param_count("SELECT $$ $5 $$, $tag$ $4 $tag$, $2") == 2
    assert param_count("SELECT a$1 FROM t") == 0
    assert param_count("SELECT 1") == 0


def test_split_params_respects_quotes_and_brackets():
    items = split_params(
        "'it''s, ok', ARRAY[1, 2], now() - interval '1 day', '{\"a\": 1}'::jsonb, NULL",
        Path("x.sql"),
        3,
    )
    assert items == (
        "'it''s, ok'",
        "ARRAY[1, 2]",
        "now() - interval '1 day'",
        "'{\"a\": 1}'::jsonb",
        "NULL",
    )


def test_semicolon_inside_string_is_not_a_second_statement():
    check = parse("-- expect: index a\nSELECT ';' AS x; -- trailing comment\n")
    assert check.sql == "SELECT ';' AS x"


def test_load_workload_orders_files_and_rejects_empty_folder(tmp_path: Path):
    (tmp_path / "b.sql").write_text("-- expect: index-on t\nSELECT 1 FROM t\n")
    (tmp_path / "a.sql").write_text("-- expect: no-seqscan t\nSELECT 2 FROM t\n")
    (tmp_path / "notes.txt").write_text("ignored")
    checks = load_workload(tmp_path)
    assert [c.name for c in checks] == ["a", "b"]
    assert checks[0].file == tmp_path / "a.sql"
    assert load_workload(tmp_path / "b.sql")[0].name == "b"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no .sql check files"):
        load_workload(empty)
    with pytest.raises(UserError, match="no such file"):
        load_workload(tmp_path / "missing")


def _tables(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql.replace("$", ":p"), read="postgres")
    return {t.name for t in tree.find_all(exp.Table)}


def test_shipped_workload_covers_the_spec():
    checks = load_workload(REPO / "checks")
    assert len(checks) >= 40
    touched = set().union(*(_tables(c.sql) for c in checks))
    assert PLINTO_TABLES <= touched, PLINTO_TABLES - touched
    for check in checks:
        assert check.has_values, check.name
        assert check.description, check.name
    # the shapes the catalog does not serve are there, with the truth as their expectation
    names = {c.name for c in checks}
    for row in ("03b_", "03c_", "04_", "17_", "25_"):
        assert any(n.startswith(row) for n in names), row


def test_a_check_file_with_a_bom_and_crlf_line_ends(tmp_path):
    file = tmp_path / "x.sql"
    file.write_bytes(b"\xef\xbb\xbf-- expect: index a_idx\r\n-- params: 1\r\nSELECT $1::int;\r\n")
    check = load_check(file)
    assert check.expectations[0].targets == ("a_idx",)
    assert check.params == ("1",) and check.sql == "SELECT $1::int"
