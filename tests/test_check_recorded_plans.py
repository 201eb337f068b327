"""The recorded plans (tests/data/plans/) are still what the servers produce: each scenario is
explained again on the live PostgreSQL 15 and 18 and its shape (node types, relations, schemas,
indexes, parallelism, conditions; not costs) compared with the recording. A fixture that drifted
from the server fails here; re-record with `python tests/plan_recorder.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from plan_recorder import SCENARIOS, build, explain, load, recorded_majors, shape


@pytest.fixture(scope="module")
def recording_db(pg_server) -> Iterator[tuple[str, int]]:
    major = pg_server.version_num // 10000
    if major not in recorded_majors():
        pytest.skip(f"no plans recorded for PostgreSQL {major} (python tests/plan_recorder.py)")
    dsn = pg_server.create_database()
    build(dsn)
    yield dsn, major
    pg_server.drop_database(dsn)


def test_every_recorded_plan_is_what_the_server_produces(recording_db):
    dsn, major = recording_db
    drifted = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, scenario in SCENARIOS.items():
            live = shape(explain(conn, scenario))
            if live != shape(load(major, name)["plan"]):
                drifted.append(name)
    assert not drifted, f"re-record with python tests/plan_recorder.py: {drifted}"
