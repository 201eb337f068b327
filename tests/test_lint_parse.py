"""Reading SQL for lint: PostgreSQL's grammar, locations, and going on past broken input."""

from __future__ import annotations

from pathlib import Path

from plinto_db.lint.parse import parse_sql
from plinto_db.lint.run import LintRequest, lint


def _lint(*paths: Path):
    return lint(LintRequest(paths=paths))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_statements_after_a_broken_one_are_still_linted(tmp_path):
    sql = _write(
        tmp_path / "m.sql",
        "CREATE INDEX CONCURRENTLY a ON t (x;\nCREATE INDEX b ON t (y);\n",
    )
    findings = _lint(sql).findings
    assert [(f.rule, f.line, f.column) for f in findings] == [
        ("parse-error", 1, 36),
        ("require-concurrent-index-creation", 2, 1),
    ]
    assert findings[0].message == 'syntax error at or near ";"'


def test_an_unterminated_quote_is_one_parse_error_where_it_starts(tmp_path):
    sql = _write(tmp_path / "m.sql", "SELECT 1;\nSELECT 'never closed;\nDROP INDEX i;\n")
    findings = _lint(sql).findings
    assert [(f.rule, f.line, f.column) for f in findings] == [("parse-error", 2, 8)]
    assert "unterminated quoted string" in findings[0].message


def test_a_parse_error_in_one_file_does_not_stop_the_next(tmp_path):
    _write(tmp_path / "a.sql", "CREATE INDEX ON;\n")
    _write(tmp_path / "b.sql", "DROP INDEX i;\n")
    outcome = _lint(tmp_path)
    assert [(f.path.rsplit("/", 1)[-1], f.rule) for f in outcome.findings] == [
        ("a.sql", "parse-error"),
        ("b.sql", "require-concurrent-index-deletion"),
    ]
    assert len(outcome.files) == 2


def test_columns_count_characters_not_bytes(tmp_path):
    sql = _write(tmp_path / "m.sql", "SELECT 'ééé'; DROP INDEX i;\n")
    assert [(f.line, f.column) for f in _lint(sql).findings] == [(1, 15)]


def test_a_byte_order_mark_is_not_part_of_the_first_statement(tmp_path):
    sql = tmp_path / "m.sql"
    sql.write_bytes("\ufeffDROP INDEX i;\n".encode())
    assert [(f.rule, f.line, f.column) for f in _lint(sql).findings] == [
        ("require-concurrent-index-deletion", 1, 1)
    ]


def test_a_non_utf8_file_is_a_finding_with_its_location_and_the_run_goes_on(tmp_path):
    (tmp_path / "a.sql").write_bytes(b"SELECT 1;\n-- na\xefve\n")
    _write(tmp_path / "b.sql", "DROP INDEX i;\n")
    findings = _lint(tmp_path).findings
    assert [(f.rule, f.line, f.column) for f in findings] == [
        ("unreadable-file", 2, 6),
        ("require-concurrent-index-deletion", 1, 1),
    ]
    assert "not UTF-8 (byte 0xef)" in findings[0].message


def test_a_statement_with_semicolons_inside_parses_after_a_later_error():
    text = (
        "CREATE RULE r AS ON INSERT TO t DO ALSO "
        "(INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\n"
        "SELEC 1;\n"
        "SELECT 2;\n"
    )
    parsed = parse_sql(text)
    assert [type(s.node).__name__ for s in parsed.statements] == ["RuleStmt", "SelectStmt"]
    assert [p.message for p in parsed.problems] == ['syntax error at or near "SELEC"']


def test_comments_are_found_by_the_scanner_not_inside_strings():
    parsed = parse_sql("SELECT '-- not a comment'; -- a comment\n/* another */ SELECT 1;")
    assert [c.text for c in parsed.comments] == ["-- a comment", "/* another */"]
