"""The companion API against real servers (PostgreSQL 15 and 18): its endpoints answer with
rows from the database, through uvicorn on a free port in this process."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from plinto_db.api.app import create_app
from plinto_db.api.endpoints import ApiState
from plinto_db.api.prepare import prepare_state
from plinto_db.api.runner import free_port
from plinto_db.check.workload import load_workload

REPO = Path(__file__).resolve().parent.parent
CHECKS = REPO / "checks"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Served:
    """uvicorn serving create_app(state) in a thread, until stop()."""

    def __init__(self, state: ApiState, pool_size: int = 2):
        import uvicorn

        self.state = state
        self.port = free_port()
        config = uvicorn.Config(
            create_app(state, pool_size=pool_size),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.02)

    def get(self, path: str) -> Answer:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def serve(dsn: str, checks: Path = CHECKS) -> Served:
    return Served(prepare_state(dsn, load_workload(checks), checks))


@pytest.fixture(scope="module")
def api(seeded_db: str) -> Iterator[Served]:
    served = serve(seeded_db)
    yield served
    served.stop()


def scalar(dsn: str, query: str, params=()):
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_a_check_endpoint_answers_the_rows_its_query_finds(api: Served, seeded_db: str):
    jti = api.state.by_name()["03_sessions_validate_fast"].defaults[0]
    answer = api.get("/q/03_sessions_validate_fast")
    assert answer.status == 200
    rows = answer.json()["rows"]
    expected = scalar(
        seeded_db, "SELECT id::text FROM sessions WHERE access_token_jti = %s", (jti,)
    )
    assert [r["id"] for r in rows] == [expected] and rows[0]["access_token_jti"] == jti


def test_every_read_only_check_endpoint_answers(api: Served):
    failed = {}
    for endpoint in api.state.endpoints:
        if endpoint.mode.value == "read" and endpoint.defaults is not None:
            answer = api.get(endpoint.path)
            if answer.status != 200:
                failed[endpoint.name] = (answer.status, answer.body[:200])
    assert not failed


def test_a_value_in_the_query_string_replaces_the_start_up_value(api: Served, seeded_db: str):
    email = scalar(seeded_db, "SELECT email FROM users WHERE status = 'active' ORDER BY id DESC")
    rows = api.get(f"/q/01_users_signin_by_email?p1={urllib.parse.quote(email)}").json()["rows"]
    assert [r["email"] for r in rows] == [email]
    assert api.get("/q/01_users_signin_by_email?p1=nobody%40example.com").json()["rows"] == []


def test_every_response_carries_its_response_time(api: Served):
    for path, status in (
        ("/q/02_users_current_user", 200),
        ("/q/no_such_check", 404),
        ("/q/02_users_current_user?p1=not-a-uuid", 422),
        ("/nowhere", 404),
        ("/health", 200),
    ):
        answer = api.get(path)
        assert answer.status == status, path
        header = answer.headers.get("x-response-time", "")
        assert header.endswith("ms") and float(header[:-2]) > 0, path


def test_an_unknown_check_is_404_naming_it(api: Served):
    answer = api.get("/q/99_not_a_check")
    assert answer.status == 404
    assert "unknown check '99_not_a_check'" in answer.json()["error"]


def test_a_value_the_server_cannot_read_is_422_with_its_message(api: Served):
    answer = api.get("/q/02_users_current_user?p1=not-a-uuid")
    assert answer.status == 422
    assert answer.json()["error"] == (
        '02_users_current_user: invalid input syntax for type uuid: "not-a-uuid"'
    )


def test_a_parameter_the_check_does_not_take_is_422(api: Served):
    answer = api.get("/q/02_users_current_user?p2=x")
    assert answer.status == 422
    assert "unknown parameter 'p2': 02_users_current_user takes p1" in answer.json()["error"]
    assert api.get("/flow/session-validation?user=x").status == 422


def metric(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def test_metrics_expose_a_latency_histogram_per_route(api: Served):
    count = 'plinto_api_request_duration_seconds_count{route="/q/09_organizations_by_slug"}'
    ok = 'plinto_api_responses_total{route="/q/09_organizations_by_slug",status="200"}'
    before = api.get("/metrics").body.decode()
    for _ in range(3):
        api.get("/q/09_organizations_by_slug")
    api.get("/q/09_organizations_by_slug?p1=x&p1=y")
    api.get("/flow/webhook-retry-sweep")
    text = api.get("/metrics").body.decode()
    assert metric(text, count) - metric(before, count) == 4
    assert metric(text, ok) - metric(before, ok) == 3
    status_422 = 'plinto_api_responses_total{route="/q/09_organizations_by_slug",status="422"}'
    assert metric(text, status_422) >= 1
    infinite = (
        'plinto_api_request_duration_seconds_bucket{le="+Inf",route="/flow/webhook-retry-sweep"}'
    )
    assert metric(text, infinite) >= 1


def test_health_reports_the_pool_and_a_database_round_trip(api: Served, pg_server):
    document = api.get("/health").json()
    assert document["status"] == "ok"
    assert document["database"]["up"] is True
    assert document["database"]["server_version"] == pg_server.version_num
    assert document["pool"]["size"] == 2 and document["pool"]["max"] == 2


def test_the_index_lists_checks_and_flows(api: Served):
    document = api.get("/q").json()
    assert document["checks"]["05_sessions_expire_sweep"]["mode"] == "rollback"
    assert document["checks"]["03_sessions_validate_fast"]["params"] == ["p1"]
    assert set(document["flows"]) == {
        "sign-in",
        "session-validation",
        "my-sessions",
        "org-dashboard",
        "webhook-retry-sweep",
    }


def test_session_validation_finds_the_session_and_its_user(api: Served, seeded_db: str):
    document = api.get("/flow/session-validation").json()
    assert document["valid"] is True
    assert document["user"]["id"] == document["session"]["user_id"]
    assert document["session"]["access_token_jti"] in api.state.keys.jtis
    assert api.get("/flow/session-validation?jti=no-such-token").status == 401


def test_my_sessions_lists_the_sessions_of_the_tokens_user(api: Served, seeded_db: str):
    jti = api.state.keys.jtis[0]
    document = api.get(f"/flow/my-sessions?jti={jti}").json()
    user_id = scalar(
        seeded_db, "SELECT user_id::text FROM sessions WHERE access_token_jti = %s", (jti,)
    )
    expected = scalar(
        seeded_db,
        "SELECT count(*) FROM sessions WHERE user_id = %s AND revoked = false "
        "AND expires_at > now()",
        (user_id,),
    )
    assert document["user_id"] == user_id and document["count"] == expected >= 1
    assert {s["user_id"] for s in document["sessions"]} == {user_id}


def test_org_dashboard_reads_membership_members_and_audit_tail(api: Served, seeded_db: str):
    user_id, org_id = api.state.keys.memberships[0]
    document = api.get(f"/flow/org-dashboard?user_id={user_id}&organization_id={org_id}").json()
    members = scalar(
        seeded_db, "SELECT count(*) FROM organization_members WHERE organization_id = %s", (org_id,)
    )
    assert document["member_count"] == members and len(document["members"]) == min(members, 50)
    stranger = api.state.keys.memberships[0][0]
    other_org = next(o for _, o in api.state.keys.memberships if o != org_id)
    is_member = scalar(
        seeded_db,
        "SELECT count(*) FROM organization_members WHERE user_id = %s AND organization_id = %s",
        (stranger, other_org),
    )
    status = api.get(f"/flow/org-dashboard?user_id={stranger}&organization_id={other_org}").status
    assert status == (200 if is_member else 403)
    assert api.get(f"/flow/org-dashboard?user_id={user_id}").status == 422


def test_webhook_retry_sweep_counts_the_due_retries(api: Served, seeded_db: str):
    due = scalar(
        seeded_db,
        "SELECT count(*) FROM webhook_deliveries "
        "WHERE status = 'retrying' AND next_retry_at <= now()",
    )
    assert api.get("/flow/webhook-retry-sweep").json()["due"] == due


def test_sign_in_creates_a_session_and_an_activity_row_that_are_not_kept(new_db):
    dsn = new_db("seeded")
    served = serve(dsn)
    try:
        sessions = scalar(dsn, "SELECT count(*) FROM sessions")
        answer = served.get("/flow/sign-in")
        assert answer.status == 200
        document = answer.json()
        assert document["signed_in"] is True and document["kept"] is False
        session_id = document["session"]["id"]
        assert scalar(dsn, "SELECT count(*) FROM sessions WHERE id = %s", (session_id,)) == 0
        assert scalar(dsn, "SELECT count(*) FROM sessions") == sessions
        assert (
            scalar(
                dsn,
                "SELECT count(*) FROM activity_logs WHERE details->>'session_id' = %s",
                (session_id,),
            )
            == 0
        )
        assert served.get("/flow/sign-in?email=nobody%40example.com").status == 401
    finally:
        served.stop()


def test_a_check_that_writes_is_rolled_back(new_db):
    dsn = new_db("seeded")
    expired = "SELECT count(*) FROM sessions WHERE expires_at < now() AND status = 'active'"
    with psycopg.connect(dsn, autocommit=True) as conn:  # make sure the sweep has rows to change
        conn.execute(
            "UPDATE sessions SET status = 'active', expires_at = now() - interval '1 hour' "
            "WHERE id IN (SELECT id FROM sessions ORDER BY id LIMIT 5)"
        )
    before = scalar(dsn, expired)
    served = serve(dsn)
    try:
        document = served.get("/q/05_sessions_expire_sweep").json()
    finally:
        served.stop()
    assert document["rolled_back"] is True and document["rowcount"] == before >= 5
    assert scalar(dsn, expired) == before


def test_a_query_that_writes_through_a_function_is_refused_then_rolled_back(new_db, tmp_path):
    dsn = new_db("schema")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE api_probe")
    (tmp_path / "01_next.sql").write_text("-- expect: seqscan users\nSELECT nextval('api_probe')\n")
    served = serve(dsn, tmp_path)
    try:
        first = served.get("/q/01_next").json()
        second = served.get("/q/01_next").json()
    finally:
        served.stop()
    assert first["rolled_back"] is True and second["rolled_back"] is True
    assert first["rows"][0]["nextval"] < second["rows"][0]["nextval"]


def test_a_workload_of_ones_own_has_no_flows(schema_db: str, tmp_path: Path):
    (tmp_path / "01_mine.sql").write_text(
        "-- expect: index-on users\n-- params: 'a@b.c'\nSELECT id FROM users WHERE email = $1\n"
    )
    served = serve(schema_db, tmp_path)
    try:
        assert served.state.flows == ()
        assert served.get("/flow/session-validation").status == 404
        assert served.get("/q/01_mine").json()["rows"] == []
    finally:
        served.stop()


def test_health_and_queries_are_503_when_the_database_is_gone(new_db, pg_server):
    dsn = new_db("seeded")
    served = serve(dsn)
    try:
        assert served.get("/health").status == 200
        pg_server.drop_database(dsn)  # terminates the pool's sessions, then drops the database
        health = served.get("/health")
        assert health.status == 503
        document = health.json()
        assert document["status"] == "unavailable" and document["database"]["up"] is False
        answer = served.get("/q/03_sessions_validate_fast")
        assert answer.status == 503 and "database unreachable" in answer.json()["error"]
    finally:
        served.stop()
