"""lint's `concurrently-on-partitioned-table` names exactly the statements PostgreSQL refuses:
its bad fixture, run statement by statement on real PostgreSQL 15 and 18, fails on the lines
the rule reports, with the refusal the message quotes, and nowhere else."""

from __future__ import annotations

from pathlib import Path

import psycopg

from plinto_db.lint.run import LintRequest, lint

FIXTURE = Path(__file__).parent / "data" / "lint" / "concurrently-on-partitioned-table"


def test_the_rule_reports_what_postgresql_refuses(new_db):
    path = FIXTURE / "bad.sql"
    findings = lint(LintRequest(paths=(path,), only=("concurrently-on-partitioned-table",)))
    reported = {f.line: f.message for f in findings.findings}
    refused: dict[int, str] = {}
    with psycopg.connect(new_db("empty"), autocommit=True) as conn:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip() or line.startswith("--"):
                continue
            try:
                conn.execute(line)
            except psycopg.Error as exc:
                refused[number] = exc.diag.message_primary or ""
    assert set(reported) == set(refused) == {3, 6}
    for number, message in refused.items():
        assert f"({message})" in reported[number]


def test_a_plain_create_index_on_the_new_partitioned_table_is_clean(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text(
        "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE INDEX events_at_idx ON events (at);\n"
    )
    assert lint(LintRequest(paths=(path,))).findings == ()
