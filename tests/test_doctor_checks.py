"""Each doctor check against its own fixture (tests/data/doctor/<check>/): the schema with the
problem is reported exactly, the near misses are not. Real PostgreSQL 15 and 18."""

from __future__ import annotations

import psycopg
import pytest
from doctor_support import FIXTURES, build, doctor, expected

from plinto_db.commands.doctor_workload import CheckMode, prove
from plinto_db.doctor.checks.index_bloat import MIN_BYTES
from plinto_db.doctor.gather import gather
from plinto_db.doctor.model import Need
from plinto_db.doctor.registry import CHECKS, by_id

IDS = [check.id for check in CHECKS]


def _run(dsn: str, check_id: str):
    folder = FIXTURES / check_id
    workload = None
    if (folder / "checks").is_dir():
        checks, indexes = folder / "checks", folder / "indexes"

        def workload(target: str):
            return prove(target, checks, indexes, CheckMode.forced)

    return doctor(dsn, check_id, workload=workload)


@pytest.mark.parametrize("check_id", IDS)
def test_each_check_reports_exactly_the_problems_of_its_fixture(check_id, new_db):
    dsn = new_db("empty")
    build(dsn, FIXTURES / check_id / "bad.sql")
    report = _run(dsn, check_id)
    (outcome,) = report.outcomes
    assert outcome.judged, outcome.reason
    found = {f.objects for f in report.findings}
    assert found == expected(FIXTURES / check_id / "bad.sql")
    assert {f.severity for f in report.findings} == {by_id(check_id).severity}
    assert all("Fix:" in f.message for f in report.findings)


@pytest.mark.parametrize("check_id", IDS)
def test_each_check_is_silent_on_the_near_misses_of_its_fixture(check_id, new_db):
    dsn = new_db("empty")
    build(dsn, FIXTURES / check_id / "good.sql")
    report = _run(dsn, check_id)
    (outcome,) = report.outcomes
    assert outcome.judged, outcome.reason
    assert [f.message for f in report.findings] == []


def test_a_not_valid_not_null_constraint_does_not_make_is_not_null_always_true(new_db, pg_server):
    if pg_server.version_num < 180000:
        pytest.skip("NOT NULL ... NOT VALID needs PostgreSQL 18")
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, b int, c int)")
        conn.execute("INSERT INTO t VALUES (1, NULL, 1)")
        conn.execute("ALTER TABLE t ADD CONSTRAINT t_b_nn NOT NULL b NOT VALID")
        conn.execute("ALTER TABLE t ADD CONSTRAINT t_c_nn NOT NULL c")
        conn.execute("CREATE INDEX t_b ON t (b) WHERE b IS NOT NULL")
        conn.execute("CREATE INDEX t_c ON t (c) WHERE c IS NOT NULL")
    report = doctor(dsn, "always-true-predicate")
    assert [f.objects for f in report.findings] == [("public.t.t_c",)]


def test_bloat_inputs_leave_out_indexes_too_small_to_hold_the_reported_bloat(new_db):
    # 10,000 empty partition indexes cost seconds of pg_stats lookups otherwise
    dsn = new_db("empty")
    build(dsn, FIXTURES / "index-bloat" / "bad.sql")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE small (id int PRIMARY KEY)")
        conn.execute("INSERT INTO small SELECT generate_series(1, 1000)")
        conn.execute("ANALYZE small")
        facts = gather(conn, {Need.INDEXES, Need.BTREE_SIZES})
    names = {index.oid: index.name for index in facts.indexes}
    assert set(names.values()) == {"t_a", "t_pkey", "small_pkey"}
    assert {names[size.index_oid] for size in facts.btree_sizes} == {"t_a", "t_pkey"}
    assert all(size.pages * size.block_size >= MIN_BYTES for size in facts.btree_sizes)
