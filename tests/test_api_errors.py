"""The companion API's errors and route labels as serve.md promises them (PostgreSQL 15 and 18):
every error is one line of `{"error": ...}` with its status, whatever the method or path, and
/metrics counts each response under its route's template."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_app import Served, metric, serve
from test_api_serve import run_serve

from plinto_db.api.endpoints import ApiState
from plinto_db.api.runner import require_free
from plinto_db.api.runner import serve as run_api
from plinto_db.errors import UserError


@pytest.fixture(scope="module")
def api(seeded_db: str) -> Iterator[Served]:
    served = serve(seeded_db)
    yield served
    served.stop()


def fetch(api: Served, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed (urllib would follow a 307 silently)."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def one_line_error(headers: dict[str, str], body: bytes) -> str:
    assert headers.get("content-type") == "application/json", body
    document = json.loads(body)
    assert list(document) == ["error"], document
    assert "\n" not in document["error"]
    return document["error"]


@pytest.mark.parametrize(
    ("method", "path", "status", "words"),
    [
        ("GET", "/nope", 404, "no endpoint at '/nope'"),
        ("GET", "/q/..%2Fx", 404, "no endpoint at '/q/../x'"),
        ("GET", "/q/", 404, "without the trailing slash"),
        ("GET", "/q/01_users_signin_by_email/", 404, "without the trailing slash"),
        ("POST", "/health", 405, "POST /health: every endpoint is GET"),
        ("DELETE", "/q/02_users_current_user", 405, "every endpoint is GET"),
    ],
)
def test_a_request_no_endpoint_serves_is_a_one_line_json_error(
    api: Served, method: str, path: str, status: int, words: str
):
    answer_status, headers, body = fetch(api, path, method)
    assert answer_status == status, body
    assert words in one_line_error(headers, body)
    if status == 405:
        assert "GET" in headers["allow"]


def test_a_trailing_slash_is_not_redirected(api: Served):
    status, headers, _ = fetch(api, "/q/")
    assert status == 404 and "location" not in headers


def labelled(text: str, route: str, status: int) -> float:
    return metric(text, f'plinto_api_responses_total{{route="{route}",status="{status}"}}')


def test_metrics_count_each_response_under_its_routes_template(api: Served):
    before = api.get("/metrics").body.decode()
    for path, method in (
        ("/health", "GET"),
        ("/health", "GET"),
        ("/q", "GET"),
        ("/q/nope", "GET"),
        ("/flow/nope", "GET"),
        ("/nowhere", "GET"),
        ("/health", "POST"),
    ):
        fetch(api, path, method)
    after = api.get("/metrics").body.decode()
    expected = {
        ("/health", 200): 2,
        ("/q", 200): 1,
        ("/metrics", 200): 1,  # the first /metrics: counted once its response started
        ("/q/{check}", 404): 1,
        ("/flow/{name}", 404): 1,
        ("unmatched", 404): 1,
        ("/health", 405): 1,
    }
    counted = {key: labelled(after, *key) - labelled(before, *key) for key in expected}
    assert counted == expected
    assert labelled(after, "unmatched", 200) == 0


def test_a_nul_byte_in_a_check_parameter_is_422_naming_it(api: Served):
    status, headers, body = fetch(api, "/q/01_users_signin_by_email?p1=%00")
    assert status == 422
    assert one_line_error(headers, body).startswith("01_users_signin_by_email: p1 ")
    assert "NUL" in one_line_error(headers, body)


def test_a_nul_byte_in_a_flow_parameter_is_422_naming_it(api: Served):
    status, headers, body = fetch(api, "/flow/sign-in?email=a%00b")
    assert status == 422
    assert one_line_error(headers, body).startswith("sign-in: email ")


def test_a_flow_parameter_given_twice_is_422_as_for_a_check(api: Served):
    status, headers, body = fetch(api, "/flow/session-validation?jti=a&jti=b")
    assert status == 422
    assert one_line_error(headers, body) == "session-validation: jti given twice"
    status, headers, body = fetch(api, "/q/03_sessions_validate_fast?p1=a&p1=b")
    assert status == 422
    assert one_line_error(headers, body) == "03_sessions_validate_fast: p1 given twice"


def test_a_flow_still_takes_its_parameters(api: Served):
    jti = api.state.keys.jtis[0]
    status, _, body = fetch(api, f"/flow/session-validation?jti={jti}")
    assert status == 200 and json.loads(body)["session"]["access_token_jti"] == jti


NO_STATE = ApiState(dsn="", checks="", server_version=0, endpoints=())
UNRESOLVABLE = "999.1.1.1"
NOT_OURS = "192.0.2.1"  # TEST-NET-1: never an address of this machine


@pytest.mark.parametrize("host", [UNRESOLVABLE, NOT_OURS, "no-such-host.invalid"])
@pytest.mark.parametrize("port", [0, 8000])
def test_a_host_that_cannot_be_listened_on_is_named_not_the_port(host: str, port: int):
    with pytest.raises(UserError) as info:
        run_api(NO_STATE, host=host, port=port, workers=1, pool_size=1, note=lambda _: None)
    message = info.value.message
    assert message.startswith(f"cannot listen on {host}") and "--host" in message
    assert "--port" not in message


def test_a_port_in_use_still_names_the_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(UserError, match=r"pass another --port") as info:
            require_free("127.0.0.1", taken.getsockname()[1])
    assert "--host" not in info.value.message


def test_serve_with_a_host_that_does_not_resolve_is_one_line_and_exit_2(
    seeded_db: str, tmp_path: Path
):
    result: subprocess.CompletedProcess = run_serve(
        tmp_path, "--dsn", seeded_db, "--host", UNRESOLVABLE
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on {UNRESOLVABLE}" in errors[0] and "--host" in errors[0]
    assert "--port" not in errors[0]


def test_a_bad_host_is_named_before_the_database_is_read(tmp_path: Path):
    unreachable = f"postgresql://nobody@/nodb?host={tmp_path / 'no-server-here'}"
    result = run_serve(tmp_path, "--dsn", unreachable, "--host", UNRESOLVABLE)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"plinto-db: error: cannot listen on {UNRESOLVABLE}:8000"
    ), result.stderr
