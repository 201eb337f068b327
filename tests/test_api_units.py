"""The companion API's pure parts, without a server: the registry, parameters, statement modes,
the flows' requirements, JSON encoding, the state file."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from plinto_db.api import flows
from plinto_db.api.encode import dumps, records
from plinto_db.api.endpoints import (
    ApiState,
    BadParameter,
    Endpoint,
    FlowKeys,
    Mode,
    statement_mode,
)
from plinto_db.check.workload import load_workload

REPO = Path(__file__).resolve().parent.parent


def endpoint(param_count: int = 2, defaults=("a", "b"), name: str = "q1") -> Endpoint:
    return Endpoint(
        name=name,
        sql="SELECT $1, $2" if param_count == 2 else "SELECT 1",
        param_count=param_count,
        defaults=defaults,
        source="sample (line 3)" if defaults is not None else "the sample returned no rows",
        mode=Mode.READ,
        location="checks/q1.sql:4",
    )


def test_no_query_string_gives_the_start_up_values():
    assert endpoint().values(()) == ("a", "b")


def test_a_query_string_value_overrides_its_position_only():
    assert endpoint().values([("p2", "x")]) == ("a", "x")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ([("p3", "x")], "unknown parameter 'p3': q1 takes p1..p2"),
        ([("p0", "x")], "unknown parameter 'p0'"),
        ([("jti", "x")], "unknown parameter 'jti'"),
        ([("p01", "x")], "unknown parameter 'p01'"),
        ([("p1", "x"), ("p1", "y")], "p1 given twice"),
    ],
)
def test_a_parameter_the_endpoint_does_not_take_is_refused(query, words):
    with pytest.raises(BadParameter, match=words):
        endpoint().values(query)


def test_a_nul_byte_in_a_value_is_refused_naming_its_parameter():
    with pytest.raises(BadParameter, match=r"^p2 holds a NUL byte"):
        endpoint().values([("p1", "x"), ("p2", "a\x00b")])


@pytest.mark.parametrize(
    ("name", "query", "words"),
    [
        ("session-validation", [("jti", "a"), ("jti", "b")], "^jti given twice$"),
        ("session-validation", [("user", "x")], r"unknown parameter 'user' \(takes jti\)"),
        ("webhook-retry-sweep", [("x", "1")], r"\(takes no parameters\)"),
        ("sign-in", [("email", "\x00")], "^email holds a NUL byte"),
    ],
)
def test_a_flow_refuses_a_parameter_as_a_check_does(name, query, words):
    with pytest.raises(BadParameter, match=words):
        flows.flow_values(name, query)


def test_a_flow_takes_each_of_its_parameters_once():
    query = [("user_id", "u"), ("organization_id", "o")]
    assert flows.flow_values("org-dashboard", query) == {"user_id": "u", "organization_id": "o"}


def test_a_query_without_parameters_refuses_any():
    with pytest.raises(BadParameter, match="takes no parameters"):
        endpoint(0, ()).values([("p1", "x")])


def test_without_start_up_values_each_missing_position_is_named():
    plain = endpoint(defaults=None)
    with pytest.raises(BadParameter, match=r"no start-up value for \$1 .*give p1"):
        plain.values(())
    with pytest.raises(BadParameter, match=r"\$2 .*give p2"):
        plain.values([("p1", "x")])
    assert plain.values([("p1", "x"), ("p2", "y")]) == ("x", "y")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM users WHERE id = $1",
        "-- a comment\n(SELECT 1) UNION ALL (SELECT 2)",
        "WITH recent AS (SELECT * FROM sessions) SELECT * FROM recent",
        "SELECT updated_at FROM users",  # a column named like a keyword
    ],
)
def test_queries_are_read_only(sql):
    assert statement_mode(sql) is Mode.READ


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE sessions SET status = 'expired' WHERE expires_at < now()",
        "  /* sweep */ DELETE FROM sessions WHERE revoked",
        "insert into t values (1)",
        "WITH gone AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM gone",
        "SELECT * FROM webhook_deliveries WHERE status = 'retrying' FOR UPDATE SKIP LOCKED",
        "SELECT * FROM t FOR NO KEY UPDATE",
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
    ],
)
def test_statements_that_write_or_lock_rows_are_rolled_back(sql):
    assert statement_mode(sql) is Mode.ROLLBACK


def test_of_the_shipped_workload_only_the_expire_sweep_writes():
    writes = [c.name for c in load_workload(REPO / "checks") if statement_mode(c.sql) != Mode.READ]
    assert writes == ["05_sessions_expire_sweep"]


def test_the_shipped_workload_supports_every_flow():
    names = {c.name for c in load_workload(REPO / "checks")}
    assert flows.available(names) == tuple(flows.Flow)


def test_a_workload_missing_a_check_loses_only_the_flows_that_need_it():
    names = {c.name for c in load_workload(REPO / "checks")} - {flows.LIST_MINE}
    assert flows.available(names) == (
        flows.Flow.SIGN_IN,
        flows.Flow.SESSION_VALIDATION,
        flows.Flow.ORG_DASHBOARD,
        flows.Flow.WEBHOOK_RETRY_SWEEP,
    )
    assert flows.available({"01_my_own_query"}) == ()


def test_values_json_has_no_type_for_become_text():
    row = (
        UUID("00000000-0000-0000-0000-000000000001"),
        dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
        Decimal("1.10"),
        b"\x01\xff",
        dt.timedelta(minutes=1, seconds=30),
        {"nested": [1, True, None]},
        "ünïcode",
    )
    names = ("id", "at", "price", "raw", "took", "doc", "text")
    decoded = json.loads(dumps({"rows": records(names, [row])}))
    assert decoded["rows"] == [
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "at": "2024-05-01T12:30:00+00:00",
            "price": "1.10",
            "raw": "\\x01ff",
            "took": 90.0,
            "doc": {"nested": [1, True, None]},
            "text": "ünïcode",
        }
    ]


def test_the_state_survives_its_file():
    state = ApiState(
        dsn="host=/tmp dbname=x",
        checks="checks",
        server_version=180006,
        endpoints=(endpoint(), endpoint(0, (), "q0"), endpoint(defaults=None, name="q2")),
        flows=("session-validation",),
        keys=FlowKeys(emails=("a@b",), jtis=("j1", "j2"), memberships=(("u", "o"),)),
    )
    assert ApiState.from_json(state.to_json()) == state
