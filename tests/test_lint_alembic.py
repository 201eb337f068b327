"""Linting alembic revisions: what runs in a transaction, where SQL sits, what is skipped."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from plinto_db.errors import UserError
from plinto_db.lint.run import LintRequest, lint

HEADER = '''"""A revision.

Revision ID: 0001
Revises:
"""

import textwrap

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
'''  # 13 lines: the code of each test starts on line 14


def _revision(tmp_path: Path, code: str, name: str = "0001_x.py") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(code), encoding="utf-8")
    return path


def _found(tmp_path: Path, code: str, only: tuple[str, ...] = ()):
    outcome = lint(LintRequest(paths=(_revision(tmp_path, code),), only=only))
    return [(f.rule, f.line, f.column) for f in outcome.findings]


def test_concurrent_calls_inside_autocommit_block_are_clean(tmp_path):
    code = """
    def upgrade():
        with op.get_context().autocommit_block():
            op.create_index("ix_a", "users", ["a"], postgresql_concurrently=True)
            op.execute("CREATE INDEX CONCURRENTLY ix_b ON users (b)")
            op.execute(sa.text("DROP INDEX CONCURRENTLY ix_c"))
    """
    assert _found(tmp_path, code) == []


def test_concurrent_calls_outside_autocommit_block_run_in_the_revision_transaction(tmp_path):
    code = """
    def upgrade():
        op.create_index("ix_a", "users", ["a"], postgresql_concurrently=True)
        op.drop_index("ix_b", table_name="users", postgresql_concurrently=True)
    """
    assert _found(tmp_path, code) == [
        ("concurrently-in-transaction", 16, 5),
        ("concurrently-in-transaction", 17, 5),
    ]


def test_a_module_level_transactional_ddl_flag_is_not_an_opt_out(tmp_path):
    # alembic never reads such a flag from a revision: the transaction is still there
    code = """
    transactional_ddl = False

    def upgrade():
        op.execute("CREATE INDEX CONCURRENTLY ix_a ON users (a)")
    """
    assert _found(tmp_path, code) == [("concurrently-in-transaction", 18, 17)]


def test_a_multi_statement_string_is_one_transaction_even_in_autocommit(tmp_path):
    code = '''
    def upgrade():
        with op.get_context().autocommit_block():
            op.execute("""
                SET maintenance_work_mem = '1GB';
                CREATE INDEX CONCURRENTLY ix_a ON users (a);
            """)
    '''
    assert _found(tmp_path, code) == [("concurrently-in-transaction", 19, 13)]


def test_sql_with_escapes_is_reported_at_the_start_of_its_literal(tmp_path):
    code = """
    def upgrade():
        op.execute("SELECT 1;\\nDROP INDEX ix_a")
    """
    assert _found(tmp_path, code) == [("require-concurrent-index-deletion", 16, 16)]


def test_dedented_sql_is_reported_at_its_own_line_and_column(tmp_path):
    code = '''
    def upgrade():
        op.execute(textwrap.dedent("""
            SELECT 1;
              DROP INDEX ix_a;
        """))
    '''
    assert _found(tmp_path, code) == [("require-concurrent-index-deletion", 18, 11)]


def test_module_constants_and_loops_over_them_are_linted_where_the_sql_is(tmp_path):
    code = '''
    STATEMENTS = (
        """CREATE TABLE drafts (id bigint PRIMARY KEY, title text)""",
        "CREATE INDEX ix_drafts_title ON drafts (title)",
        "CREATE INDEX ix_users_name ON users (name)",
    )
    DROP = "DROP INDEX ix_users_name"

    def upgrade():
        for statement in STATEMENTS:
            op.execute(statement)

    def downgrade():
        op.execute(DROP)
    '''
    assert _found(tmp_path, code) == [
        ("require-concurrent-index-creation", 18, 6),
        ("require-concurrent-index-deletion", 20, 9),
    ]


def test_sql_that_is_not_a_literal_is_counted_as_not_linted(tmp_path):
    code = """
    def upgrade():
        for table in ("a", "b"):
            op.execute(f"DROP INDEX ix_{table}")
        op.execute(sa.text(make_sql()))
    """
    outcome = lint(LintRequest(paths=(_revision(tmp_path, code),)))
    assert outcome.findings == ()
    assert [(w.line, w.column) for w in outcome.not_literal] == [(17, 9), (18, 5)]


def test_tables_created_by_op_create_table_need_no_concurrently(tmp_path):
    code = """
    def upgrade():
        op.create_table("drafts", sa.Column("id", sa.BigInteger, primary_key=True))
        op.create_index(op.f("ix_drafts_id"), "drafts", ["id"], unique=True)
        op.create_foreign_key("fk_drafts_user", "drafts", "users", ["user_id"], ["id"])
        op.create_index(op.f("ix_users_name"), "users", ["name"])
    """
    assert _found(tmp_path, code) == [("require-concurrent-index-creation", 19, 5)]


def test_upgrade_and_downgrade_are_linted_apart(tmp_path):
    code = """
    def upgrade():
        op.create_table("drafts", sa.Column("id", sa.BigInteger))

    def downgrade():
        op.create_index("ix_drafts_id", "drafts", ["id"])
    """
    assert _found(tmp_path, code) == [("require-concurrent-index-creation", 19, 5)]


def test_batch_alter_table_calls_know_their_table(tmp_path):
    code = """
    def upgrade():
        op.execute("SET lock_timeout = '2s'")
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.alter_column("email", existing_type=sa.String(), nullable=False)
            batch_op.create_index("ix_users_email", ["email"], unique=True)
    """
    outcome = lint(LintRequest(paths=(_revision(tmp_path, code),)))
    assert [(f.rule, f.line) for f in outcome.findings] == [
        ("setting-not-null", 18),
        ("require-concurrent-index-creation", 19),
    ]
    assert "users.email" in outcome.findings[0].message


def test_lock_timeout_set_by_op_execute_covers_the_later_calls(tmp_path):
    code = """
    def upgrade():
        op.add_column("users", sa.Column("a", sa.Text()))
        op.execute("SET lock_timeout = '2s'")
        op.add_column("users", sa.Column("b", sa.Text()))
        op.execute("SET lock_timeout = 0")
        op.drop_column("users", "a")
    """
    assert _found(tmp_path, code, only=("require-lock-timeout",)) == [
        ("require-lock-timeout", 16, 5),
        ("require-lock-timeout", 20, 5),
    ]


@pytest.mark.parametrize(
    ("default", "volatile"),
    [
        ('server_default=sa.text("gen_random_uuid()")', True),
        ("server_default=sa.func.clock_timestamp()", True),
        ('server_default=sa.text("now()")', False),
        ('server_default="free"', False),
    ],
)
def test_server_defaults_are_judged_as_postgresql_receives_them(tmp_path, default, volatile):
    code = f"""
    def upgrade():
        op.add_column("users", sa.Column("c", sa.Text(), {default}))
    """
    expected = [("adding-volatile-default", 16, 5)] if volatile else []
    assert _found(tmp_path, code, only=("adding-volatile-default",)) == expected


def test_python_that_is_not_a_revision_is_skipped_in_a_folder_and_refused_by_name(tmp_path):
    (tmp_path / "env.py").write_text("from alembic import context\n", encoding="utf-8")
    (tmp_path / "m.sql").write_text("DROP INDEX CONCURRENTLY i;\n", encoding="utf-8")
    outcome = lint(LintRequest(paths=(tmp_path,)))
    assert [f.path for f in outcome.files] == [(tmp_path / "m.sql").as_posix()]
    with pytest.raises(UserError, match="env.py: not an alembic revision"):
        lint(LintRequest(paths=(tmp_path / "env.py",)))


def test_a_python_syntax_error_is_a_parse_error_at_its_place(tmp_path):
    path = _revision(tmp_path, "\ndef upgrade():\n    op.execute(\n")
    outcome = lint(LintRequest(paths=(path,)))
    assert [(f.rule, f.line) for f in outcome.findings] == [("parse-error", 16)]
    assert outcome.findings[0].message.startswith("Python: ")


def test_broken_sql_in_a_string_is_a_parse_error_inside_the_string(tmp_path):
    code = '''
    def upgrade():
        op.execute("""
            CREATE INDEX CONCURRENTLY ix_a ON users (a;
        """)
    '''
    assert _found(tmp_path, code) == [("parse-error", 17, 51)]


def test_a_hand_written_commit_is_named_as_driver_dependent(tmp_path):
    code = """
    def upgrade():
        op.execute("COMMIT")
        op.create_index("ix_a", "users", ["a"], postgresql_concurrently=True)
    """
    path = _revision(tmp_path, code)
    (finding,) = lint(LintRequest(paths=(path,))).findings
    assert (finding.rule, finding.line) == ("concurrently-in-transaction", 17)
    assert "the COMMIT on line 16 ends it only under psycopg2" in finding.message
    assert finding.message.endswith("`with op.get_context().autocommit_block():`")


def test_batch_calls_with_keyword_arguments_still_know_their_table(tmp_path):
    code = """
    def upgrade():
        with op.batch_alter_table("metrics") as batch_op:
            batch_op.drop_constraint(constraint_name="metric_pk", type_="primary")
    """
    (finding,) = lint(LintRequest(paths=(_revision(tmp_path, code),))).findings
    assert (finding.rule, finding.line) == ("require-lock-timeout", 17)
    assert "lock on metrics " in finding.message


def test_one_call_emitting_two_statements_reports_a_rule_once(tmp_path):
    code = """
    def upgrade():
        op.alter_column("users", "age", type_=sa.BigInteger(), nullable=False)
    """
    assert _found(tmp_path, code) == [
        ("changing-column-type", 16, 5),
        ("require-lock-timeout", 16, 5),
        ("setting-not-null", 16, 5),
    ]
