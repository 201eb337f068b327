"""lint names tables, columns, constraints and indexes as SQL must write them: a mixed-case,
spaced or non-public name keeps its quotes and schema, so the statement a message suggests
runs on the object the migration meant, and a name can be searched for as written."""

from __future__ import annotations

import re
from pathlib import Path

from pglast import ast, parse_sql

from plinto_db.lint.run import LintRequest, lint

MIGRATION = """\
CREATE INDEX customers_country ON "Shop"."Customers" (country);
ALTER TABLE "my schema"."Order Lines" ADD CONSTRAINT "OL Customer" FOREIGN KEY (customer_id)
  REFERENCES "Shop"."Customers" (id);
ALTER TABLE "Shop"."Customers" ADD CONSTRAINT "Positive Id" CHECK (id > 0);
ALTER TABLE "Shop"."Customers" ALTER COLUMN "Email Address" SET NOT NULL;
ALTER TABLE "Shop"."Customers" ADD COLUMN "Created At" timestamptz DEFAULT clock_timestamp();
ALTER TABLE "Shop"."Customers" ALTER COLUMN "Email Address" TYPE varchar(300);
DROP INDEX "Shop"."Customers Country";
REINDEX INDEX "Shop"."Customers Country";
CREATE INDEX CONCURRENTLY IF NOT EXISTS "Customers Email" ON sales.orders (email);
CREATE INDEX ON sales."Order Items" (product_id);
"""


def _messages(tmp_path: Path) -> dict[str, list[str]]:
    file = tmp_path / "0001.sql"
    file.write_text(MIGRATION)
    found: dict[str, list[str]] = {}
    for finding in lint(LintRequest(paths=(file,))).findings:
        found.setdefault(finding.rule, []).append(finding.message)
    return found


def test_a_mixed_case_or_spaced_table_is_named_with_its_quotes_and_schema(tmp_path):
    found = _messages(tmp_path)
    assert found["require-concurrent-index-creation"][0].startswith(
        'CREATE INDEX on "Shop"."Customers" holds a SHARE lock'
    )
    foreign_key = found["adding-foreign-key-constraint"][0]
    assert 'on "my schema"."Order Lines" and "Shop"."Customers"' in foreign_key
    assert found["require-index-name"][0].startswith('index on sales."Order Items" without')
    every = " ".join(m for messages in found.values() for m in messages)
    assert "Shop.Customers" not in every and "my schema.Order Lines" not in every


def test_columns_constraints_and_indexes_keep_their_quotes(tmp_path):
    found = _messages(tmp_path)
    assert 'SET NOT NULL on "Shop"."Customers"."Email Address"' in found["setting-not-null"][0]
    assert 'CHECK ("Email Address" IS NOT NULL) NOT VALID' in found["setting-not-null"][0]
    assert found["adding-volatile-default"][0].startswith('ADD COLUMN "Created At" has')
    assert found["changing-column-type"][0].startswith(
        'changing the type of "Shop"."Customers"."Email Address"'
    )
    assert found["adding-check-constraint"][0].startswith('adding CHECK "Positive Id" checks')
    assert found["require-concurrent-index-deletion"][0].startswith(
        'DROP INDEX "Shop"."Customers Country" takes'
    )
    assert found["require-concurrent-reindex"][0].startswith('REINDEX "Shop"."Customers Country"')
    assert 'an INVALID index "Customers Email" left' in found["concurrent-if-not-exists"][0]


def test_the_suggested_validate_statement_runs_on_the_same_table_and_constraint(tmp_path):
    found = _messages(tmp_path)
    for message, table, constraint in (
        (found["adding-check-constraint"][0], ("Shop", "Customers"), "Positive Id"),
        (found["adding-foreign-key-constraint"][0], ("my schema", "Order Lines"), "OL Customer"),
    ):
        suggested = re.search(r"ALTER TABLE .+? VALIDATE CONSTRAINT .+? in a later", message)
        assert suggested, message
        statement = parse_sql(suggested.group(0).removesuffix(" in a later"))[0].stmt
        assert isinstance(statement, ast.AlterTableStmt)
        assert (statement.relation.schemaname, statement.relation.relname) == table
        assert statement.cmds[0].name == constraint
