"""`plinto-db capture` on real PostgreSQL 15 and 18 with pg_stat_statements preloaded.

A small shop schema gets a known workload (literal constants, IN lists, casts, an UPDATE that
filters, DDL, utility and catalog statements); capture must keep the statements that matter,
draw real values for their parameters, expect what today's plan does, and write files `check`
reads without an edit.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from plinto_db.capture.choose import RankBy
from plinto_db.capture.run import Action, CaptureRequest, run_capture
from plinto_db.check.run import CheckRequest, run_checks
from plinto_db.check.workload import load_workload
from plinto_db.errors import UserError

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA billing;
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, status text NOT NULL);
CREATE TABLE orders (
    id int PRIMARY KEY, customer_id int NOT NULL, created_at timestamptz NOT NULL,
    note text NOT NULL, total numeric NOT NULL
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX customers_lower_email_idx ON customers (lower(email));
CREATE TABLE billing.invoices (id int PRIMARY KEY, order_id int NOT NULL, amount numeric);
CREATE TABLE scratch (a int);
INSERT INTO customers SELECT g, 'c' || g || '@example.com', CASE WHEN g % 10 = 0 THEN 'closed'
    ELSE 'active' END FROM generate_series(1, 3000) g;
INSERT INTO orders SELECT g, 1 + g % 3000, timestamptz '2024-01-01' + g * interval '1 hour',
    'note ' || g, g % 97 FROM generate_series(1, 20000) g;
INSERT INTO billing.invoices SELECT g, g, g FROM generate_series(1, 5000) g;
"""

# (statement, times run): literal constants, so pg_stat_statements folds them into $n
WORKLOAD = [
    ("SELECT * FROM orders WHERE customer_id = {n}", 40),
    ("SELECT id FROM orders WHERE id IN ({n}, {m}, {k})", 20),
    ("SELECT count(*) FROM orders WHERE created_at > '2024-03-01'::timestamptz", 12),
    ("SELECT * FROM orders WHERE note = 'note {n}'", 8),
    ("SELECT * FROM customers WHERE lower(email) = 'c{n}@example.com'", 6),
    ("UPDATE orders SET total = total WHERE id = {n}", 5),
    ("SELECT amount FROM billing.invoices WHERE order_id = {n}", 4),
    (
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = "
        "'c{n}@example.com' ORDER BY o.id LIMIT 10",
        3,
    ),  # fmt: skip
    ("SELECT * FROM customers WHERE lower(email) = lower('C{n}@example.com')", 2),
    ("SELECT id FROM orders WHERE created_at > now() - '1 day'::interval * {n}", 1),
    ("SELECT * FROM orders WHERE created_at < now() - interval '1 day' * {n} LIMIT 1", 1),
]
NOT_WORKLOAD = [
    "CREATE TABLE made_here (a int)",
    "SET work_mem = '8MB'",
    "SELECT relname FROM pg_class WHERE relname = 'orders'",
    "SELECT count(*) FROM information_schema.tables",
    "INSERT INTO scratch VALUES (1)",
    "DELETE FROM scratch",
    "ANALYZE scratch",
]


@pytest.fixture(scope="module")
def shop_db(pg_server):
    dsn = pg_server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("VACUUM ANALYZE")
        for text, times in WORKLOAD:
            for n in range(1, times + 1):
                conn.execute(text.format(n=n * 7, m=n * 7 + 1, k=n * 7 + 2))
        for text in NOT_WORKLOAD:
            conn.execute(text)
    yield dsn
    pg_server.drop_database(dsn)


def capture(dsn: str, out: Path, **options) -> object:
    options.setdefault("cover", 1.0)
    return run_capture(CaptureRequest(dsn=dsn, out=out, **options))


def written(run) -> dict[str, str]:
    """The text of each file written, by the first line of its statement."""
    texts = {}
    for outcome in run.outcomes:
        if outcome.action is Action.WRITTEN:
            text = outcome.path.read_text()
            texts[" ".join(outcome.query.split())] = text
    return texts


def file_of(run, fragment: str) -> str:
    found = [t for q, t in written(run).items() if fragment in q]
    assert len(found) == 1, (fragment, list(written(run)))
    return found[0]


def test_the_workload_is_kept_and_ddl_utility_catalog_and_inserts_are_left_out(shop_db, tmp_path):
    run = capture(shop_db, tmp_path / "captured")
    queries = " | ".join(o.query for o in run.outcomes)
    assert "customer_id = $1" in queries and "UPDATE orders" in queries
    for left in ("made_here", "work_mem", "pg_class", "information_schema", "scratch"):
        assert left not in queries, left
    assert run.left_out.get("DDL or utility statement", 0) >= 3
    assert run.left_out.get("catalog query", 0) >= 2
    assert run.left_out.get("INSERT (nothing to find)", 0) >= 1
    assert run.left_out.get("DELETE without WHERE (nothing to find)") == 1


def test_constants_are_sampled_from_the_column_they_are_compared_with(shop_db, tmp_path):
    run = capture(shop_db, tmp_path / "captured")
    text = file_of(run, "WHERE customer_id = $1")
    assert "-- sample: SELECT customer_id FROM orders AS plinto_sample" in text
    assert "-- expect: index orders_customer_idx" in text
    assert "Planned natural when captured" in text


def test_an_in_list_is_sampled_in_the_form_the_server_normalised_it(shop_db, tmp_path, pg_server):
    run = capture(shop_db, tmp_path / "captured")
    text = file_of(run, "WHERE id IN")
    if pg_server.version_num >= 180000 or "/*, ... */" in text:
        assert "IN ($1 /*, ... */)" in text  # 18: one parameter stands for the list
        assert "-- sample: SELECT id FROM orders AS plinto_sample" in text
    else:
        assert "IN ($1, $2, $3)" in text  # before 18: one parameter per element
    assert "-- expect: index orders_pkey" in text


def test_a_cast_parameter_and_an_expression_are_sampled(shop_db, tmp_path):
    run = capture(shop_db, tmp_path / "captured")
    cast = file_of(run, "created_at > $1::timestamptz")
    assert "-- sample: SELECT created_at FROM orders AS plinto_sample" in cast
    lowered = file_of(run, "lower(email) = $1")
    assert "-- sample: SELECT lower(email) FROM customers AS plinto_sample" in lowered
    assert "-- expect: index customers_lower_email_idx" in lowered


def test_a_big_table_read_sequentially_with_a_filter_expects_no_seqscan(shop_db, tmp_path):
    run = capture(shop_db, tmp_path / "captured")
    text = file_of(run, "WHERE note = $1")
    assert "-- expect: no-seqscan orders" in text
    (outcome,) = [o for o in run.outcomes if "note = $1" in o.query]
    assert outcome.verdict == "fail"  # honest: advise's input


def test_a_parameter_no_column_gives_plans_generic_in_its_own_folder(shop_db, tmp_path):
    run = capture(shop_db, tmp_path / "captured")
    for fragment in ("now() - $1::interval * $2", "lower(email) = lower($1)"):
        (outcome,) = [o for o in run.outcomes if fragment in o.query]
        assert outcome.mode == "generic", outcome
        assert outcome.path.parent.name == "generic"
        assert "Planned generic when captured (no column to draw a value for $1" in (
            outcome.path.read_text()
        )


def test_a_normalised_text_the_server_cannot_read_is_skipped_with_its_reason(shop_db, tmp_path):
    run = capture(shop_db, tmp_path / "captured")
    (outcome,) = [o for o in run.outcomes if "interval $1" in o.query]  # `interval '1 day'`
    assert outcome.action is Action.SKIPPED and outcome.path is None
    assert outcome.reason.startswith("could not be planned: syntax error")


def test_every_captured_file_runs_under_check_without_edits(shop_db, tmp_path):
    out = tmp_path / "captured"
    run = capture(shop_db, out)
    assert run.count(Action.WRITTEN) >= 7
    natural = run_checks(CheckRequest(dsn=shop_db, checks_path=out))
    verdicts = {r.check.name: r.verdict.value for r in natural.results}
    assert "error" not in verdicts.values(), [r.reasons for r in natural.results]
    failed = [r for r in natural.results if r.verdict.value == "fail"]
    # honest failures only: tables of 10+ pages read sequentially with a filter (no index)
    assert len(failed) == 4
    for result in failed:
        assert "-- expect: no-seqscan" in result.check.file.read_text()
        assert all(reason.startswith("sequential scan of") for reason in result.reasons)
    generic = run_checks(CheckRequest(dsn=shop_db, checks_path=out / "generic", mode="generic"))
    assert all(r.verdict.value != "error" for r in generic.results)


def test_the_header_names_the_source_and_its_numbers(shop_db, tmp_path):
    run = capture(shop_db, tmp_path / "captured")
    (outcome,) = [o for o in run.outcomes if "customer_id = $1" in o.query and "*" in o.query]
    header = outcome.path.read_text().splitlines()[:5]
    assert header[1].startswith(f"-- queryid {outcome.queryid}: 40 calls, mean ")
    assert "% of the workload's time" in header[1]
    assert f"-- source: pg_stat_statements queryid {outcome.queryid}" in header


def test_cover_keeps_the_biggest_statements_until_their_share_is_reached(shop_db, tmp_path):
    everything = capture(shop_db, tmp_path / "all", by=RankBy.CALLS)
    shares = [o.share for o in everything.outcomes]
    assert shares == sorted(shares, reverse=True)
    half = capture(shop_db, tmp_path / "half", by=RankBy.CALLS, cover=0.5)
    assert sum(o.share for o in half.outcomes[:-1]) < 0.5 <= sum(o.share for o in half.outcomes)
    assert half.outcomes[0].numbers.calls == 40


def test_top_min_calls_and_schema_narrow_the_choice(shop_db, tmp_path):
    top = capture(shop_db, tmp_path / "top", by=RankBy.CALLS, top=2, cover=None)
    assert [o.numbers.calls for o in top.outcomes] == [40, 20]
    frequent = capture(shop_db, tmp_path / "frequent", min_calls=8)
    assert min(o.numbers.calls for o in frequent.outcomes) >= 8
    billing = capture(shop_db, tmp_path / "billing", schemas=("billing",))
    assert [o.query.rstrip(";") for o in billing.outcomes] == [
        "SELECT amount FROM billing.invoices WHERE order_id = $1"
    ]
    assert billing.outcomes[0].path.name.startswith("billing_invoices_")


def test_a_second_run_changes_nothing_and_a_hand_edited_file_is_left_alone(shop_db, tmp_path):
    out = tmp_path / "captured"
    first = capture(shop_db, out)
    before = {p: p.read_text() for p in out.rglob("*.sql")}
    second = capture(shop_db, out)
    assert {o.action for o in second.outcomes} == {Action.UNCHANGED, Action.SKIPPED}
    assert {p: p.read_text() for p in out.rglob("*.sql")} == before

    edited = next(o.path for o in first.outcomes if "customer_id = $1" in o.query)
    text = edited.read_text().replace(
        "-- expect: index orders_customer_idx", "-- expect: index-on orders"
    )
    edited.write_text(text)
    third = capture(shop_db, out)
    (outcome,) = [o for o in third.outcomes if o.path == edited]
    assert outcome.action is Action.LEFT_ALONE
    assert outcome.reason == "edited since capture wrote it (by hand or by advise)"
    assert edited.read_text() == text


def test_new_statements_are_added_and_numbers_refreshed(shop_db, pg_server, tmp_path):
    out = tmp_path / "captured"
    dsn = pg_server.create_database(template=None)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA)
            conn.execute("VACUUM ANALYZE")
            conn.execute("SELECT * FROM orders WHERE customer_id = 5")
        first = capture(dsn, out)
        assert [o.action for o in first.outcomes] == [Action.WRITTEN]
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT * FROM orders WHERE customer_id = 6")
            conn.execute("SELECT * FROM customers WHERE id = 6")
        second = capture(dsn, out)
        actions = sorted(o.action.value for o in second.outcomes)
        assert actions == ["refreshed", "written"]
        refreshed = next(o for o in second.outcomes if o.action is Action.REFRESHED)
        assert "2 calls" in refreshed.path.read_text().splitlines()[1]
        assert len(load_workload(out)) == 2
    finally:
        pg_server.drop_database(dsn)


def test_without_pg_stat_statements_one_line_says_how_and_exit_2(pg_server, run_cli, tmp_path):
    dsn = pg_server.create_database()
    try:
        with pytest.raises(UserError, match="CREATE EXTENSION pg_stat_statements"):
            run_capture(CaptureRequest(dsn=dsn, out=tmp_path / "out"))
        result = run_cli("capture", "--dsn", dsn, "--out", str(tmp_path / "out"))
        assert result.returncode == 2
        (line,) = [x for x in result.stderr.splitlines() if "error" in x]
        assert line.startswith("plinto-db: error: pg_stat_statements is preloaded but not created")
    finally:
        pg_server.drop_database(dsn)


def test_the_command_writes_json_of_what_it_did(shop_db, run_cli, tmp_path):
    out = tmp_path / "captured"
    result = run_cli(
        "capture", "--dsn", shop_db, "--out", str(out), "--top", "3", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["written"] == 3 and document["summary"]["chosen"] == 3
    assert {s["action"] for s in document["statements"]} == {"written"}
    assert all(Path(s["file"]).exists() for s in document["statements"])
    again = run_cli("capture", "--dsn", shop_db, "--out", str(out), "--top", "3")
    assert again.returncode == 0 and "3 unchanged" in again.stdout


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--cover", "0%"), "--cover '0%'"),
        (("--by", "rows"), "--by 'rows': choose total or calls"),
        (("--top", "0"), "--top 0: give at least 1"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(run_cli, option, message):
    result = run_cli("capture", "--dsn", "postgresql:///nowhere", *option)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "plinto-db: error: " + result.stderr.strip().split("error: ", 1)[1]
    )
    assert message in result.stderr


def test_capture_leaves_its_own_statements_out_of_pg_stat_statements(shop_db, tmp_path):
    """Thousands of PREPAREs, EXPLAINs and sample queries would evict the workload's entries.
    (`check`, run by other tests here, records its own: count what capture adds.)"""
    before = own_entries(shop_db)
    capture(shop_db, tmp_path / "captured")
    assert own_entries(shop_db) == before


def own_entries(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM "
            "pg_database WHERE datname = current_database()) AND (query LIKE '%plinto_check%' "
            "OR query LIKE '%plinto_sample%' OR query LIKE 'EXPLAIN%')"
        ).fetchall()
    return dict(rows)
