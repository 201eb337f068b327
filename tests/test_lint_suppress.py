"""`plinto-db: ignore[rule-id]` comments: one statement, named rules only, typos refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.errors import UserError
from plinto_db.lint.run import LintRequest, lint

DROP = "require-concurrent-index-deletion"


def _found(tmp_path: Path, text: str, name: str = "m.sql"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [(f.rule, f.line) for f in lint(LintRequest(paths=(path,))).findings]


def test_a_comment_on_the_line_before_suppresses_that_statement_only(tmp_path):
    text = f"-- plinto-db: ignore[{DROP}]\nDROP INDEX a;\nDROP INDEX b;\n"
    assert _found(tmp_path, text) == [(DROP, 3)]


def test_a_comment_after_the_statement_on_its_line_suppresses_it_not_the_next(tmp_path):
    text = f"DROP INDEX a; -- plinto-db: ignore[{DROP}]\nDROP INDEX b;\n"
    assert _found(tmp_path, text) == [(DROP, 2)]


def test_a_comment_inside_the_statement_suppresses_it(tmp_path):
    text = f"DROP INDEX /* plinto-db: ignore[{DROP}] */ a;\n"
    assert _found(tmp_path, text) == []


def test_only_the_named_rules_are_suppressed(tmp_path):
    text = "-- plinto-db: ignore[require-index-name]\nCREATE INDEX ON t (a);\n"
    assert _found(tmp_path, text) == [("require-concurrent-index-creation", 2)]
    both = (
        "-- plinto-db: ignore[require-index-name, require-concurrent-index-creation]\n"
        "CREATE INDEX ON t (a);\n"
    )
    assert _found(tmp_path, both) == []


def test_a_comment_that_only_mentions_plinto_db_is_not_a_directive(tmp_path):
    text = "-- plinto-db: apply builds these\nDROP INDEX a;\n"
    assert _found(tmp_path, text) == [(DROP, 2)]


def test_an_unknown_rule_id_is_bad_input_naming_file_and_line(tmp_path):
    text = "SELECT 1;\n-- plinto-db: ignore[require-index-nmae]\nDROP INDEX a;\n"
    with pytest.raises(UserError, match=r"m\.sql:2: unknown rule 'require-index-nmae'"):
        _found(tmp_path, text)


def test_a_directive_naming_no_rule_is_bad_input(tmp_path):
    with pytest.raises(UserError, match=r"m\.sql:1: name the rules to ignore"):
        _found(tmp_path, "DROP INDEX a; -- plinto-db: ignore\n")


REVISION = '''"""r

Revision ID: 0001
"""
from alembic import op

revision = "0001"


def upgrade():
    op.drop_index("a", table_name="t")  # plinto-db: ignore[{rule}]
    # plinto-db: ignore[{rule}]
    op.drop_index("b", table_name="t")
    op.drop_index(
        "c",
        table_name="t",
    )  # plinto-db: ignore[{rule}]
    op.execute("""
        -- plinto-db: ignore[{rule}]
        DROP INDEX d;
        DROP INDEX e;
    """)
    op.drop_index("f", table_name="t")
'''


def test_python_comments_suppress_the_op_call_and_sql_comments_a_statement(tmp_path):
    found = _found(tmp_path, REVISION.format(rule=DROP), name="0001_r.py")
    assert found == [(DROP, 21), (DROP, 23)]


def test_an_unknown_rule_id_in_a_python_comment_is_bad_input(tmp_path):
    with pytest.raises(UserError, match=r"0001_r\.py:11: unknown rule 'nope'"):
        _found(tmp_path, REVISION.format(rule="nope"), name="0001_r.py")
