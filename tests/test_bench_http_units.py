"""The HTTP level of bench without a server: Locust's CSV, its command lines, the endpoint
selection and the load's validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from plinto_db.api.endpoints import ApiState, Endpoint, Mode
from plinto_db.bench import http_locust
from plinto_db.bench.http import HttpLoad, check_endpoint_names, select_paths
from plinto_db.errors import UserError

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
STATS = f"""{HEADER}
GET,/flow/session-validation,10143,2,63,72.7,11.08,326.9,1363.2,682.6,0.1,63,79,92,100,130,160,190,210,300,330,330
GET,/q/99_never_answered,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
,Aggregated,10143,2,63,72.7,11.08,326.9,1363.2,682.6,0.1,63,79,92,100,130,160,190,210,300,330,330
"""  # noqa: E501


def test_locust_stats_give_per_endpoint_figures_and_the_aggregate(tmp_path: Path):
    path = tmp_path / "x_stats.csv"
    path.write_text(STATS)
    endpoints, aggregated = http_locust.parse_stats(path)
    first, never = endpoints
    assert first == {
        "name": "/flow/session-validation",
        "requests": 10143,
        "failures": 2,
        "rps": 682.6,
        "p50_ms": 63.0,
        "p95_ms": 160.0,
        "p99_ms": 210.0,
        "p999_ms": 300.0,
        "avg_ms": 72.7,
        "min_ms": 11.08,
        "max_ms": 326.9,
    }
    assert never["requests"] == 0 and never["p99_ms"] is None  # N/A is no figure, not 0
    assert aggregated is not None and aggregated["requests"] == 10143


def test_a_file_that_is_not_locust_stats_is_refused(tmp_path: Path):
    path = tmp_path / "x_stats.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a Locust stats file"):
        http_locust.parse_stats(path)


def test_the_locust_command_carries_the_load():
    options = http_locust.run_options(
        host_url="http://127.0.0.1:9",
        users=50,
        spawn_rate=50,
        seconds=2.5,
        csv_prefix=Path("/o/locust"),
        paths=["/q/a", "/flow/b"],
        rate_per_user=20,
    )
    assert options[options.index("--run-time") + 1] == "3s"  # Locust takes whole seconds
    assert options[options.index("--plinto-endpoints") + 1] == "/q/a,/flow/b"
    assert options[options.index("--plinto-rate") + 1] == "20"
    master = http_locust.master_command(options, 2, 5599)
    assert master[master.index("--expect-workers") + 1] == "2"
    worker = http_locust.worker_command(5599)
    assert worker[worker.index("--master-port") + 1] == "5599" and "--worker" in worker


def test_the_limits_say_which_loop_was_measured():
    closed = http_locust.limits(
        closed_loop=True, offered_rps=None, workers=0, users=50, spawn_rate=50
    )
    assert "closed loop" in closed[0] and "coordinated omission" in closed[0]
    assert any("bucketed" in line for line in closed)
    offered = http_locust.limits(
        closed_loop=False, offered_rps=1000, workers=2, users=50, spawn_rate=50
    )
    assert offered[0].startswith("constant throughput: 1000 requests/s offered")
    assert any("2 Locust workers" in line for line in offered)


def _state() -> ApiState:
    def ep(name: str, mode: Mode = Mode.READ, defaults=("x",)) -> Endpoint:
        return Endpoint(name, "SELECT $1", 1, defaults, "sample (line 2)", mode, f"{name}.sql:3")

    return ApiState(
        dsn="",
        checks="checks",
        server_version=0,
        endpoints=(
            ep("03_validate"),
            ep("05_sweep", Mode.ROLLBACK),
            ep("09_empty", defaults=None),
        ),
        flows=("session-validation",),
    )


def test_the_default_load_leaves_out_writes_and_endpoints_without_values():
    paths, excluded = select_paths(_state(), ())
    assert paths == ["/q/03_validate", "/flow/session-validation"]
    assert [e["name"] for e in excluded] == ["/q/05_sweep", "/q/09_empty"]
    assert "writes" in excluded[0]["reason"]


def test_endpoints_are_named_by_check_flow_or_path():
    paths, _ = select_paths(
        _state(), ("03_validate", "/q/03_validate", "session-validation", "flow/session-validation")
    )
    assert paths == ["/q/03_validate"] * 2 + ["/flow/session-validation"] * 2


def test_an_unknown_endpoint_or_one_without_values_is_bad_input():
    with pytest.raises(UserError) as refused:
        select_paths(_state(), ("nope",))
    assert refused.value.message == (
        "--http-endpoint 'nope': no such check or flow (checks: 03_validate, 05_sweep, "
        "09_empty, ...; flows: session-validation)"
    )
    with pytest.raises(UserError, match="no start-up values"):
        select_paths(_state(), ("09_empty",))


def test_endpoint_names_are_checked_against_the_checks_and_their_flows_alone():
    checks = ["03_sessions_validate_fast", "02_users_current_user", "25_sessions_list_mine"]
    check_endpoint_names(["/q/25_sessions_list_mine", "flow/my-sessions"], checks)
    with pytest.raises(UserError) as refused:
        check_endpoint_names(["sign-in"], checks)  # its check is not in this workload
    assert refused.value.message.startswith("--http-endpoint 'sign-in': no such check or flow")
    assert refused.value.message.endswith("flows: session-validation, my-sessions)")


@pytest.mark.parametrize(
    ("load", "message"),
    [
        (HttpLoad(users=0), "--http-users 0: give 1 or more"),
        (HttpLoad(seconds=0), "--http-seconds 0: give a number above 0"),
        (HttpLoad(seconds=float("nan")), "--http-seconds nan: give a number above 0"),
        (HttpLoad(spawn_rate=-2.5), "--http-spawn-rate -2.5: give a number above 0"),
        (HttpLoad(workers=-1), "--http-workers -1: give 0 or more"),
        (HttpLoad(target_rps=0), "--http-rps 0: give a number above 0"),
        (HttpLoad(api_workers=0), "--http-api-workers 0: give 1 or more"),
    ],
)
def test_a_load_that_cannot_run_names_its_option(load: HttpLoad, message: str):
    with pytest.raises(UserError) as refused:
        load.validate()
    assert refused.value.message == message
