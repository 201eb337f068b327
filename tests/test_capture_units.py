"""capture's pure rooms, without a server: classifying statements, ranking and cutting,
finding what each `$n` is compared with, the sample query, and the file's fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.capture.choose import RankBy, choose, parse_cover
from plinto_db.capture.files import (
    FileState,
    Numbers,
    body_lines,
    file_name,
    read_existing,
    refreshed,
    render,
    statement_text,
)
from plinto_db.capture.params import SourceKind, parameter_sources
from plinto_db.capture.sample import sample_query
from plinto_db.capture.statements import Statement, classify
from plinto_db.check.workload import parse_check

COLUMNS = {
    (None, "users"): frozenset({"id", "email", "status", "org_id"}),
    (None, "orgs"): frozenset({"id", "name"}),
    ("app", "events"): frozenset({"id", "kind"}),
}


def columns(table):
    return COLUMNS.get(table)


def statement(query: str, calls: int = 1, total: float = 1.0, queryid: int = 1) -> Statement:
    return Statement(queryid, query, calls, total, total / max(calls, 1), 0)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("SELECT * FROM users WHERE email = $1", None),
        ("UPDATE users SET status = $1 WHERE id = $2", None),
        ("DELETE FROM users WHERE id = $1", None),
        ("UPDATE users SET status = $1", "UPDATE without WHERE (nothing to find)"),
        ("DELETE FROM users", "DELETE without WHERE (nothing to find)"),
        ("INSERT INTO users VALUES ($1)", "INSERT (nothing to find)"),
        ("CREATE INDEX ON users (email)", "DDL or utility statement"),
        ("SET work_mem = $1", "DDL or utility statement"),
        ("BEGIN", "DDL or utility statement"),
        ("EXPLAIN SELECT * FROM users", "DDL or utility statement"),
        ("SELECT * INTO copy FROM users", "DDL (SELECT INTO)"),
        ("SELECT relname FROM pg_class", "catalog query"),
        ("SELECT * FROM pg_catalog.pg_index", "catalog query"),
        ("SELECT * FROM information_schema.tables", "catalog query"),
        ("SELECT * FROM pg_stat_statements", "the tool's own query"),
        ("SELECT * FROM plinto_db.apply_ledger", "the tool's own query"),
        ("SELECT id FROM users AS plinto_sample LIMIT $1", "the tool's own query"),
        ('SELECT count(*) FROM "public"."orders" AS plinto_db_rows', "the tool's own query"),
        ("SELECT $1", "reads no table"),
        ("WITH x AS (SELECT $1 AS a) SELECT a FROM x", "reads no table"),
        ("<insufficient privilege>", "query text hidden (needs pg_read_all_stats)"),
        (
            "SELECT * FROM",
            "the normalised text is not valid SQL (e.g. `interval $1` from a literal)",
        ),
    ],
)
def test_classify_keeps_reads_and_filtered_writes_only(query, reason):
    assert classify(statement(query)).reason == reason


def test_the_main_table_is_the_write_target_or_the_first_from():
    assert classify(
        statement("UPDATE app.events SET kind = $1 FROM users u WHERE u.id = $2")
    ).tables[0] == ("app", "events")
    assert classify(
        statement("SELECT * FROM orgs o JOIN users u ON u.org_id = o.id")
    ).main_table == (None, "orgs")


def ranked(*pairs):
    return [
        classify(statement("SELECT * FROM users", calls, total, i))
        for i, (calls, total) in enumerate(pairs)
    ]


def test_cover_keeps_the_statement_that_crosses_the_share():
    choice = choose(ranked((1, 60.0), (1, 30.0), (1, 10.0)), cover=0.7)
    assert [c.item.statement.queryid for c in choice.chosen] == [0, 1]
    assert choice.covered == pytest.approx(0.9) and len(choice.below_cut) == 1


def test_top_and_calls_rank_by_calls():
    choice = choose(ranked((5, 1.0), (50, 0.5), (10, 9.0)), by=RankBy.CALLS, cover=None, top=2)
    assert [c.item.statement.queryid for c in choice.chosen] == [1, 2]


def test_min_calls_and_schema_leave_out_with_a_reason():
    items = ranked((1, 5.0), (3, 1.0))
    choice = choose(items, cover=None, min_calls=2, schema_of={1: "app"}, schemas=("public",))
    reasons = sorted(c.reason for c in choice.left_out)
    assert reasons == ["fewer than --min-calls 2 calls", "main table outside --schema public"]


def test_ties_are_broken_by_queryid_so_files_are_stable():
    choice = choose(ranked((1, 1.0), (1, 1.0), (1, 1.0)), cover=None)
    assert [c.item.statement.queryid for c in choice.chosen] == [0, 1, 2]


@pytest.mark.parametrize(
    ("text", "share"), [("90%", 0.9), ("90", 0.9), ("0.5", 0.5), ("100%", 1.0)]
)
def test_parse_cover(text, share):
    assert parse_cover(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["0%", "101%", "-1", "abc"])
def test_parse_cover_refuses_what_is_no_share(text):
    with pytest.raises(ValueError):
        parse_cover(text)


def test_parameters_compared_with_columns_in_every_form():
    sql = (
        "SELECT * FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.email = $1::text "
        "AND u.id IN ($2 /*, ... */) AND lower(name) = $3 AND $4 = ANY(u.status) "
        "AND status = ANY($5) AND u.id BETWEEN $6 AND $7 LIMIT $8 OFFSET $9"
    )
    found = parameter_sources(sql, columns)
    assert (found[1].table, found[1].expression) == ((None, "users"), "email")
    assert found[2].expression == "id"
    assert (found[3].table, found[3].expression) == ((None, "orgs"), "lower(name)")
    assert found[5].kind is SourceKind.ARRAY and found[5].expression == "status"
    assert found[6].expression == found[7].expression == "id"
    assert found[8].kind is SourceKind.LIMIT and found[9].kind is SourceKind.OFFSET


def test_an_in_list_before_18_gives_each_element_the_column():
    found = parameter_sources("SELECT * FROM users WHERE id IN ($1, $2, $3)", columns)
    assert [found[n].expression for n in (1, 2, 3)] == ["id", "id", "id"]


def test_parameters_without_a_column_have_no_source():
    sql = (
        "SELECT * FROM users WHERE id > $1 + $2 AND email = lower($3) AND now() - $4::interval > $5"
    )
    assert parameter_sources(sql, columns) == {}


def test_a_column_of_a_subquery_resolves_in_its_own_scope_and_a_cte_is_no_table():
    sql = "SELECT * FROM orgs WHERE id = (SELECT org_id FROM users WHERE email = $1)"
    assert parameter_sources(sql, columns)[1].table == (None, "users")
    cte = "WITH x AS (SELECT id FROM users) SELECT * FROM x WHERE id = $1"
    assert parameter_sources(cte, columns) == {}


def test_an_update_assignment_is_sampled_from_its_column():
    found = parameter_sources("UPDATE app.events SET kind = $1 WHERE id = $2", columns)
    assert (found[1].table, found[1].expression) == (("app", "events"), "kind")


def test_sample_query_one_row_of_one_table_skipping_nulls():
    found = parameter_sources(
        "SELECT * FROM users WHERE email = $1 AND status = $2 LIMIT $3", columns
    )
    assert sample_query(found, 3) == (
        "SELECT email, status, 10 FROM users AS plinto_sample "
        "WHERE email IS NOT NULL AND status IS NOT NULL LIMIT 1"
    )


def test_sample_query_cross_joins_one_row_of_each_table():
    sql = "SELECT * FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.name = $1 AND u.email = $2"
    text = sample_query(parameter_sources(sql, columns), 2)
    assert text == (
        "SELECT plinto_sample_1.v1, plinto_sample_2.v1 FROM (SELECT name AS v1 FROM orgs AS "
        "plinto_sample_1 WHERE name IS NOT NULL LIMIT 1) AS plinto_sample_1 CROSS JOIN (SELECT "
        "email AS v1 FROM users AS plinto_sample_2 WHERE email IS NOT NULL LIMIT 1) AS "
        "plinto_sample_2"
    )
    assert classify(statement(text)).reason == "the tool's own query"


def test_no_sample_without_parameters_or_with_one_lacking_a_source():
    assert sample_query({}, 0) is None
    assert (
        sample_query(parameter_sources("SELECT * FROM users WHERE id = $1 + $2", columns), 2)
        is None
    )


NUMBERS = Numbers(queryid=-42, calls=1204, mean_ms=0.412, total_ms=496.0, time_share=0.382)


def captured_file(tmp_path: Path) -> Path:
    body = body_lines(-42, "Planned natural when captured.", ["index users_email_idx"],
                      "SELECT email FROM users AS plinto_sample LIMIT 1",
                      "SELECT * FROM users WHERE email = $1")  # fmt: skip
    path = tmp_path / file_name((None, "users"), -42)
    path.write_text(render(NUMBERS, body))
    return path


def test_the_file_is_a_check_that_check_reads(tmp_path):
    path = captured_file(tmp_path)
    check = parse_check(path.read_text(), path)
    assert check.describe_expected() == "index users_email_idx"
    assert check.sample.startswith("SELECT email FROM users")
    assert check.source == "pg_stat_statements queryid -42"
    assert path.name == "users_ffffffffffffffd6.sql"
    assert (
        "1,204 calls, mean 0.412 ms, total 496.0 ms, 38.2% of the workload's time"
        in path.read_text()
    )


def test_an_edited_expectation_is_seen_and_a_refresh_touches_only_the_numbers(tmp_path):
    path = captured_file(tmp_path)
    assert read_existing(path).state is FileState.OURS
    later = Numbers(queryid=-42, calls=2000, mean_ms=0.4, total_ms=800.0, time_share=0.5)
    text = refreshed(read_existing(path), later)
    assert "2,000 calls" in text and text.splitlines()[2:] == path.read_text().splitlines()[2:]
    path.write_text(path.read_text().replace("index users_email_idx", "index-on users"))
    assert read_existing(path).state is FileState.EDITED
    (tmp_path / "mine.sql").write_text("-- expect: index-on users\nSELECT 1 FROM users;\n")
    assert read_existing(tmp_path / "mine.sql").state is FileState.FOREIGN


def test_statement_text_drops_leading_comment_lines_and_ends_in_one_semicolon():
    assert statement_text("-- app: x\n\nSELECT 1 FROM t;  ") == "SELECT 1 FROM t;"


def test_file_names_are_readable_and_stable():
    assert (
        file_name(("billing", "Invoices 2024"), 7) == "billing_invoices_2024_0000000000000007.sql"
    )
    assert file_name(("public", "users"), 7) == "users_0000000000000007.sql"


def test_quoted_names_and_a_catalog_write_target_are_read_as_postgresql_reads_them():
    quoted = classify(statement('SELECT * FROM "Odd\\\\Name""x" AS "A""b", s.t, ONLY x y'))
    assert quoted.tables == ((None, 'Odd\\\\Name"x'), ("s", "t"), (None, "x"))
    catalog = classify(statement("UPDATE pg_catalog.pg_class SET relname = $1 WHERE oid = $2"))
    assert catalog.reason == "catalog query"
