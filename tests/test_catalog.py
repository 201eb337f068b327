"""The catalog reader: pure parsing, no server."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from plinto_db.catalog import IndexKey, load_catalog
from plinto_db.errors import UserError
from plinto_db.pg.identifiers import quote_ident

REPO = Path(__file__).resolve().parent.parent
INDEXES = REPO / "indexes"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_catalog_matches_the_spec_inventory():
    specs = load_catalog(INDEXES)
    assert len(specs) == 45
    assert len({s.name for s in specs}) == 45
    assert Counter(s.method for s in specs) == {"btree": 41, "gin": 4}
    assert sum(1 for s in specs if s.where) == 20
    assert sum(1 for s in specs if any(k.descending for k in s.keys)) == 8
    assert sum(1 for s in specs if len(s.keys) > 1) == 22
    by_table = Counter(s.table for s in specs)
    assert by_table["sessions"] == 7 and by_table["users"] == 6 and by_table["passkeys"] == 1
    assert [s.has_expression for s in specs].count(True) == 1
    # one file per category of spec §2
    assert len({s.file for s in specs}) == 12


def test_statement_fields(tmp_path):
    path = write(
        tmp_path,
        "a.sql",
        "-- comment\n\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS Idx_A\n"
        "  ON app.Users USING GIN ((meta -> 'k') jsonb_path_ops)\n"
        "  INCLUDE (z) WHERE meta ? 'k';\n"
        'CREATE INDEX "MixedCase" ON t (a DESC, b COLLATE "C" text_pattern_ops NULLS FIRST,\n'
        "  c DESC NULLS LAST, lower(d)) WITH (fillfactor = 70);\n",
    )
    first, second = load_catalog(path)
    assert (first.name, first.schema, first.table) == ("idx_a", "app", "users")
    assert first.unique and first.method == "gin" and first.line == 3
    assert first.keys == (IndexKey("meta -> 'k'", None, "jsonb_path_ops", None, False, None),)
    assert first.include == ("z",)
    assert first.where == "meta ? 'k'"
    assert first.create_sql() == (
        "CREATE UNIQUE INDEX CONCURRENTLY idx_a ON app.users USING gin "
        "((meta -> 'k') jsonb_path_ops) INCLUDE (z) WHERE meta ? 'k'"
    )
    assert "CONCURRENTLY" not in first.create_sql(concurrently=False)
    assert "IF NOT EXISTS" not in first.create_sql()

    assert second.name == "MixedCase" and second.line == 6 and not second.unique
    a, b, c, d = second.keys
    assert a.descending and a.nulls_first is None
    assert (b.collation, b.opclass, b.nulls_first) == ('"C"', "text_pattern_ops", True)
    assert c.descending and c.nulls_first is False
    assert d.is_expression and d.column is None
    assert second.with_options == (("fillfactor", "70"),)
    assert second.create_sql(concurrently=False) == (
        'CREATE INDEX "MixedCase" ON t USING btree (a DESC, b COLLATE "C" text_pattern_ops '
        "NULLS FIRST, c DESC NULLS LAST, (lower(d))) WITH (fillfactor = 70)"
    )


def test_create_sql_overrides_name_and_table(tmp_path):
    (spec,) = load_catalog(write(tmp_path, "a.sql", "create index i on s.t (x) tablespace ts;"))
    assert spec.create_sql() == "CREATE INDEX CONCURRENTLY i ON s.t USING btree (x) TABLESPACE ts"
    assert spec.create_sql(False, name="i_new", table="pg_temp.t1") == (
        "CREATE INDEX i_new ON pg_temp.t1 USING btree (x)"
    )


def test_quote_ident():
    assert quote_ident("users") == "users"
    assert quote_ident("user") == '"user"'
    assert quote_ident("Mixed") == '"Mixed"'
    assert quote_ident('a"b') == '"a""b"'


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("CREATE INDEX a ON t (x);\n\nCREATE INDEX ON t (y);\n", 3, "no name"),
        ("CREATE INDEX a ON t (x);\nSELECT 1;\n", 2, "expected CREATE INDEX"),
        ("\nCREATE TABLE x (a int);\n", 2, "expected CREATE INDEX"),
        ("CREATE INDEX a ON t (x);\n\nCREATE INDEX b ON t (x;\n", 3, "syntax error"),
        ("CREATE INDEX a ON t (x);\n-- again\nCREATE INDEX a ON u (y);\n", 3, "defined twice"),
        ("CREATE INDEX a ON t (x) WHERE y = 'oops;\n", 1, ""),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, text, line, fragment):
    path = write(tmp_path, "bad.sql", text)
    with pytest.raises(UserError) as info:
        load_catalog(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("CREATE INDEX a ON t (x);\nCREATE INDEX b ON t (x;\n", "2:23",
         'syntax error at or near ";"'),
        ("CREATE INDEX b ON t (x) WHERE;\n", "1:30", 'syntax error at or near ";"'),
        ("-- ours\nCREATE INDEX c ON t\n  ((lower(x));\n", "3:14", 'syntax error at or near ";"'),
        ("CREATE INDEX d ON t (x) WHERE x = 'a;\nCREATE INDEX e ON t (x);\n", "1:35",
         "unterminated quoted string at or near \"'a; CREATE INDEX e ON t (x); \""),
        ("  SELEC 1;\n", "1:3", 'syntax error at or near "SELEC"'),
        ("CREATE INDEX f ON t ((lower(x))\n-- the end\n;\n", "3:1", 'syntax error at or near ";"'),
        ("CREATE INDEX g ON t (x) WHERE", "1:30", "syntax error at end of input"),
    ],
)  # fmt: skip
def test_a_syntax_error_is_postgresqls_own_message_at_its_line_and_column(
    tmp_path, text, where, message
):
    path = write(tmp_path, "bad.sql", text)
    with pytest.raises(UserError) as info:
        load_catalog(path)
    assert str(info.value) == f"{path}:{where}: {message}"


def test_duplicate_across_files_names_both(tmp_path):
    write(tmp_path, "a.sql", "CREATE INDEX a ON t (x);")
    write(tmp_path, "b.sql", "\nCREATE INDEX a ON t (y);")
    with pytest.raises(UserError, match=r"b\.sql:2: .*first at .*a\.sql:1"):
        load_catalog(tmp_path)


def test_empty_inputs(tmp_path):
    with pytest.raises(UserError, match="no .sql files"):
        load_catalog(tmp_path)
    write(tmp_path, "c.sql", "-- nothing here\n")
    with pytest.raises(UserError, match="no CREATE INDEX"):
        load_catalog(tmp_path)
    with pytest.raises(UserError, match="no such file"):
        load_catalog(tmp_path / "missing")


def test_same_index_written_differently_has_same_rendering(tmp_path):
    a = load_catalog(write(tmp_path, "a.sql", "create index concurrently x on T(A asc, b)"))[0]
    b = load_catalog(write(tmp_path, "b.sql", "CREATE INDEX x ON t USING BTREE (a, b);"))[0]
    assert a.create_sql() == b.create_sql()


def test_a_catalog_file_saved_with_a_bom_parses(tmp_path):
    path = tmp_path / "bom.sql"
    path.write_bytes(b"\xef\xbb\xbfCREATE INDEX idx_bom ON users (email);\n")
    (spec,) = load_catalog(path)
    assert (spec.name, spec.table, spec.line) == ("idx_bom", "users", 1)
