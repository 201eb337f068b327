"""`check` on partitioned tables: statistics of the partitions, tiny partitions, and names
of a partition's own index or table as EXPLAIN shows them.

Real PostgreSQL 15 and 18, on a user's own schema (tests/check_helpers.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from check_helpers import (
    APP_DATA,
    EVENTS_OF_ACCOUNT,
    build_app,
    by_name,
    failures,
    run,
    write_inputs,
)
from pg_servers import vacuum_analyze
from recorded_plans import MAJOR_IDS, MAJORS, verdict_of

from plinto_db.check.judge import Verdict
from plinto_db.errors import UserError


def test_natural_mode_refuses_an_unanalyzed_partitioned_table(pg_server, tmp_path):
    dsn = pg_server.create_database()
    try:
        build_app(dsn, data=False)
        inputs = write_inputs(tmp_path, EVENTS_OF_ACCOUNT)
        with pytest.raises(UserError, match="never analyzed: app.events"):
            run(dsn, inputs)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        with pytest.raises(UserError, match="every checked table is tiny"):
            run(dsn, inputs)
        result = run(dsn, inputs, mode="forced")
        assert not result.failed, failures(result)
    finally:
        pg_server.drop_database(dsn)


def test_an_empty_partition_made_ahead_does_not_block_natural_mode(app_db, tmp_path):
    with psycopg.connect(app_db, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS app.events_2026 PARTITION OF app.events "
            "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
        )
    try:
        result = run(app_db, write_inputs(tmp_path, EVENTS_OF_ACCOUNT))
        assert not result.failed, failures(result)
        assert result.results[0].mode.value == "natural"
    finally:
        with psycopg.connect(app_db, autocommit=True) as conn:
            conn.execute("DROP TABLE app.events_2026")


def test_an_expectation_may_name_a_partitions_own_index_name(app_db, tmp_path):
    """EXPLAIN shows the partition's index name (events_2024_account_id_idx): naming it works."""
    checks = {
        "early_2024": (
            "-- expect: index events_2024_account_id_idx\n"
            "SELECT * FROM app.events WHERE account_id = 42 AND at < '2024-06-01'\n"
        )
    }
    inputs = write_inputs(tmp_path, checks)
    for mode in ("natural", "forced"):
        result = by_name(run(app_db, inputs, mode=mode))["early_2024"]
        assert result.verdict is Verdict.PASS, (mode, result.message)
        assert result.used == ("events_account_idx",)
        assert not any("hid" in note for note in result.notes), result.notes


def test_an_expectation_may_name_a_partition_table(app_db, tmp_path):
    checks = {
        "index_on_partition": (
            "-- expect: index-on app.events_2024\n"
            "SELECT * FROM app.events WHERE account_id = 42 AND at < '2024-06-01'\n"
        ),
        "seq_on_partition": (
            "-- expect: no-seqscan events_2024\nSELECT * FROM app.events WHERE at < '2024-06-01'\n"
        ),
    }
    results = by_name(run(app_db, write_inputs(tmp_path, checks)))
    assert results["index_on_partition"].verdict is Verdict.PASS
    # the partition is read sequentially: a false pass before
    seq = results["seq_on_partition"]
    assert seq.verdict is Verdict.FAIL and "sequential scan of events_2024" in seq.message


# --- the partition rule, judged on plans PostgreSQL 15 and 18 really produced (no database)


@pytest.fixture(params=MAJORS, ids=MAJOR_IDS)
def major(request: pytest.FixtureRequest) -> int:
    return request.param


def test_a_partitioned_index_must_serve_every_partition_the_plan_reads(major):
    """p_2024 is read with p_k_idx, p_2025 (324 pages) sequentially: `index p_k_idx` fails."""
    got, judgements = verdict_of(major, "partitions_one_seq_scan", "index p_k_idx")
    assert got is Verdict.FAIL
    assert judgements[0].reason == (
        "partition p_2025 of p is read by Seq Scan on p_2025 p_2, not p_k_idx"
    )
    assert verdict_of(major, "partitions_one_seq_scan", "index-on p")[0] is Verdict.FAIL


def test_a_tiny_partition_read_sequentially_is_noted_not_failed(major):
    got, judgements = verdict_of(major, "partitions_every_index", "index p_k_idx")
    assert got is Verdict.PASS, judgements[0].reason
    assert judgements[0].notes == (
        "partition p_2026 of p is read by Seq Scan on p_2026 p_3: 1 page(s), too small to show "
        "index use",
    )
    got, judgements = verdict_of(major, "partitions_every_index", "index-on p")
    assert got is Verdict.PASS and "p_2026" in judgements[0].notes[0]
    # no-seqscan means what it says, on any partition
    assert verdict_of(major, "partitions_every_index", "no-seqscan p")[0] is Verdict.FAIL


def test_a_partitions_own_index_answers_for_its_partition_only(major):
    """p_2024_at_idx exists on p_2024 alone: p_2025 read sequentially does not fail it."""
    got, judgements = verdict_of(major, "partitions_one_index", "index p_2024_at_idx")
    assert got is Verdict.PASS, judgements[0].reason
    got, judgements = verdict_of(major, "partitions_one_index", "index-on p")
    assert got is Verdict.FAIL and "p_2025" in judgements[0].reason


# --- the partition rule on a real server: account 7 fills events_2025, so that partition is
# read sequentially while events_2024 uses its part of events_account_idx


@pytest.fixture(scope="module")
def skewed_db(pg_server) -> Iterator[str]:
    dsn = pg_server.create_database()
    build_app(dsn, data=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE app.events_2026 PARTITION OF app.events "
            "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
        )
        conn.execute(APP_DATA)
        conn.execute(
            "INSERT INTO app.events SELECT i, 7, date '2025-03-01' "
            "FROM generate_series(100001, 140000) i;"
            "INSERT INTO app.events VALUES (1, 42, '2026-02-01'), (2, 7, '2026-02-02')"
        )
        vacuum_analyze(conn)
    yield dsn
    pg_server.drop_database(dsn)


ACCOUNT = (
    "-- expect: index events_account_idx\n-- params: {}\n"
    "SELECT * FROM app.events WHERE account_id = $1;\n"
)


def test_index_on_a_partitioned_table_fails_when_a_partition_is_read_sequentially(
    skewed_db, tmp_path
):
    checks = {"skewed": ACCOUNT.format(7), "even": ACCOUNT.format(42)}
    results = by_name(run(skewed_db, write_inputs(tmp_path, checks)))
    skewed = results["skewed"]
    assert skewed.verdict is Verdict.FAIL, skewed.message
    assert skewed.reasons[0].startswith(
        "partition app.events_2025 of app.events is read by Seq Scan on app.events_2025"
    ), skewed.reasons
    assert skewed.reasons[0].endswith(", not app.events_account_idx")
    assert skewed.used == ("events_account_idx",)  # events_2024 does use it
    # every big partition uses the index; the two-row partition is read sequentially: noted
    even = results["even"]
    assert even.verdict is Verdict.PASS, even.message
    tiny = [note for note in even.notes if "events_2026" in note]
    assert tiny and "too small to show index use" in tiny[0], even.notes
