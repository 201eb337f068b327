"""Schemas: a check's names are compared with the schema of what the plan reads.

Real PostgreSQL 15 and 18, on a user's own schema (tests/check_helpers.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from check_helpers import build_app, by_name, run, write_inputs

from plinto_db.check.judge import Verdict
from plinto_db.errors import UserError


@pytest.fixture(scope="module")
def app_db(pg_server) -> Iterator[str]:
    dsn = pg_server.create_database()
    build_app(dsn)
    yield dsn
    pg_server.drop_database(dsn)


def test_a_schema_qualified_index_name_must_be_in_that_schema(app_db, tmp_path):
    wrong = {"x": "-- expect: index public.accounts_ext_idx\nSELECT 1\n"}
    with pytest.raises(UserError, match=r"x\.sql:1: unknown index 'public\.accounts_ext_idx'"):
        run(app_db, write_inputs(tmp_path / "a", wrong))
    right = {
        "x": (
            "-- expect: index app.accounts_ext_idx\n"
            "SELECT 1 FROM app.\"Accounts\" WHERE ext_id = '00000000-0000-0000-0000-000000000001'\n"
        )
    }
    result = by_name(run(app_db, write_inputs(tmp_path / "b", right)))["x"]
    assert result.verdict is Verdict.PASS, result.message
