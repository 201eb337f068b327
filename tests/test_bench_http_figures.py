"""The HTTP level's pure aggregation, without a server: failures classified (overload vs bug),
throughput from successful requests only, the mix as the API as a whole, isolated ratios,
the default isolated set, the scenario's claims, and the HTTP options refused without --http."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from plinto_db.api.endpoints import ApiState, Endpoint, Mode
from plinto_db.bench import http_figures
from plinto_db.bench.http import HttpLoad, isolated_paths, winners
from plinto_db.bench.http_document import http_section
from plinto_db.bench.http_scenario import claims
from plinto_db.commands.bench_request import BenchOptions, http_load
from plinto_db.errors import UserError
from plinto_db.report.bench_http import summary

POOL = "session-validation: no database connection free in time (pool exhausted)"


@pytest.mark.parametrize(
    ("cell", "status", "reason"),
    [
        (f"CatchResponseError('HTTP 503: {POOL}')", 503, POOL),
        ("CatchResponseError(\"HTTP 422: p1 'x' bad\")", 422, "p1 'x' bad"),
        ("CatchResponseError('HTTP 401: ')", 401, ""),
        ("ConnectionRefusedError(111, 'Connection refused')", 0, None),
    ],
)
def test_a_failure_cell_gives_its_status_and_the_apis_reason(cell, status, reason):
    parsed = http_figures.parse_failure(cell)
    assert parsed[0] == status
    assert parsed[1] == (reason if reason is not None else cell)


@pytest.mark.parametrize(
    ("status", "reason", "kind", "label"),
    [
        (503, POOL, "overload", "503 pool exhausted: no database connection free within 5 s"),
        (504, "the query was cancelled", "overload", "504 statement timeout"),
        (503, "database unreachable: connection refused", "error", "503: database unreachable"),
        (500, "more than one row", "error", "500: more than one row"),
        (401, "", "error", "401: "),
        (0, "ConnectionResetError()", "error", "no answer: ConnectionResetError()"),
    ],
)
def test_only_pool_exhaustion_and_timeouts_are_overload(status, reason, kind, label):
    got_kind, got_label = http_figures.classify(status, reason)
    assert got_kind == kind and got_label.startswith(label)


FAILURES_CSV = """Method,Name,Error,Occurrences
GET,/flow/a,"CatchResponseError('HTTP 503: a: no database connection free in time (pool exhausted)')",7
GET,/flow/a,"CatchResponseError('HTTP 500: a: boom')",2
GET,/q/b,"CatchResponseError('HTTP 504: b: the query was cancelled: canceling statement')",1
"""  # noqa: E501


def test_the_failures_csv_gives_counts_by_endpoint_status_and_kind(tmp_path: Path):
    path = tmp_path / "x_final_failures.csv"
    path.write_text(FAILURES_CSV)
    failures = http_figures.parse_failures(path)
    shown = [(f["name"], f["status"], f["kind"], f["count"]) for f in failures]
    assert shown == [
        ("/flow/a", 500, "error", 2),
        ("/flow/a", 503, "overload", 7),
        ("/q/b", 504, "overload", 1),
    ]
    assert http_figures.parse_failures(tmp_path / "missing.csv") == []


def _row(requests: int, failures: int, rps: float, **extra) -> dict:
    return {"requests": requests, "failures": failures, "rps": rps, "avg_ms": 10.0,
            "p50_ms": 8.0, "p95_ms": 30.0, "p99_ms": 50.0, **extra}  # fmt: skip


OVERLOAD = {"status": 503, "kind": "overload", "reason": "503 pool exhausted", "count": 25}
BUG = {"status": 500, "kind": "error", "reason": "500: boom", "count": 5}


def test_failed_requests_are_not_throughput():
    figures = http_figures.phase_figures(_row(100, 25, 50.0), [OVERLOAD])
    assert figures["sent_rps"] == 50.0
    assert figures["rps"] == 37.5  # 75 of 100 succeeded
    assert figures["failures"] == 25 and figures["failures_by_status"] == [OVERLOAD]


def test_the_ratio_counts_successful_requests_only():
    # Locust's rps: 40 -> 80 (2x), but half the after requests failed: 40 -> 40 is 1x
    before = http_figures.phase_figures(_row(400, 0, 40.0), [])
    after = http_figures.phase_figures(_row(800, 400, 80.0), [dict(OVERLOAD, count=400)])
    assert http_figures.rps_ratio(before, after) == 1.0
    assert http_figures.rps_ratio(None, after) is None
    nothing = http_figures.phase_figures(_row(10, 10, 5.0), [])
    assert http_figures.rps_ratio(nothing, after) is None  # no successful request before


def _run(endpoints: dict[str, dict], seconds: float, bugs=()) -> dict:
    requests = sum(e["requests"] for e in endpoints.values())
    failed = sum(e["failures"] for e in endpoints.values())
    rps = sum(e["sent_rps"] for e in endpoints.values())
    aggregated = http_figures.phase_figures(_row(requests, failed, rps), [])
    return {"seconds": seconds, "endpoints": endpoints, "aggregated": aggregated}


def _phase(mix: dict, isolated: list[dict], bugs=()) -> dict:
    return {"mix": mix, "isolated": isolated, "scenario": None, "bugs": list(bugs),
            "excluded": [], "load": {"users": 50}, "limits": ["closed loop"]}  # fmt: skip


def _figures(requests, failures, rps, by_status=()):
    return http_figures.phase_figures(_row(requests, failures, rps), list(by_status))


def test_the_mix_is_the_api_as_a_whole_and_endpoint_ratios_come_from_isolated_runs():
    slow, fast = "/q/25_sessions_list_mine", "/q/03_sessions_validate_fast"
    before_mix = _run({slow: _figures(100, 0, 5), fast: _figures(100, 0, 5)}, 20)
    after_mix = _run({slow: _figures(800, 0, 40), fast: _figures(800, 0, 40)}, 20)
    before_alone = [
        {"endpoint": slow, **_run({slow: _figures(60, 0, 6)}, 10)},
        {"endpoint": fast, **_run({fast: _figures(3000, 0, 300)}, 10)},
    ]
    after_alone = [
        {"endpoint": slow, **_run({slow: _figures(3000, 0, 300)}, 10)},
        {"endpoint": fast, **_run({fast: _figures(3300, 0, 330)}, 10)},
    ]
    section = http_section(
        {"before": _phase(before_mix, before_alone), "after": _phase(after_mix, after_alone)},
        {},
        {"users": 50},
    )
    mix = section["mix"]
    assert mix["rps_ratio"] == 8.0 and mix["before"]["rps"] == 10.0
    assert all("rps_ratio" not in row for row in mix["endpoints"])  # queueing is no speedup
    ratios = {row["endpoint"]: row["rps_ratio"] for row in section["isolated"]}
    assert ratios == {slow: 50.0, fast: 1.1}  # the jti lookup alone: about 1x, not 8x
    assert {row["seconds"] for row in section["isolated"]} == {10}
    for row in section["isolated"]:
        assert set(row["before"]) >= set(http_figures.FIGURES)


def test_failures_stand_next_to_requests_per_second_on_the_terminal():
    endpoint = "/flow/org-dashboard"
    before = _figures(100, 25, 10, [OVERLOAD])
    after = _figures(200, 5, 20, [BUG])
    phases = {
        "before": _phase(None, [{"endpoint": endpoint, **_run({endpoint: before}, 10)}]),
        "after": _phase(None, [{"endpoint": endpoint, **_run({endpoint: after}, 10)}],
                        bugs=[f"{endpoint} alone, {endpoint}: 5 × 500: boom"]),
    }  # fmt: skip
    lines = summary(http_section(phases, {}, {"users": 50}))
    (row,) = [line for line in lines if endpoint in line and "→" in line]
    assert "25 failed: 25 × 503 pool exhausted" in row and "5 failed: 5 × 500: boom" in row
    assert "7.5 → 20 req/s" in row  # successful requests: 75 of 100 at 10/s, 195 of 200 at 20/s
    assert any(line.startswith("http FAILED") and "500: boom" in line for line in lines)


def _endpoint(name: str, mode: Mode = Mode.READ, defaults=("x",)) -> Endpoint:
    return Endpoint(name, "SELECT $1", 1, defaults, "sample (line 2)", mode, f"{name}.sql:3")


STATE = ApiState(
    dsn="",
    checks="checks",
    server_version=0,
    endpoints=tuple(
        _endpoint(n)
        for n in ("03_sessions_validate_fast", "23_tail", "24_type", "25_mine", "26_x", "11b_feed")
    )
    + (_endpoint("05_sweep", Mode.ROLLBACK),),
    flows=("session-validation", "my-sessions"),
)


def test_the_default_isolated_set_is_the_flows_the_biggest_winners_and_a_1x_control():
    ranked = ["05_sweep", "23_tail", "03_sessions_validate_fast", "25_mine", "24_type", "26_x"]
    assert isolated_paths(STATE, HttpLoad(), ranked) == [
        "/flow/session-validation",
        "/flow/my-sessions",
        "/q/23_tail",  # the writing check is not loaded; the control is not a winner
        "/q/25_mine",
        "/q/24_type",
        "/q/03_sessions_validate_fast",
    ]
    named = HttpLoad(endpoints=("25_mine", "my-sessions", "/q/25_mine"))
    assert isolated_paths(STATE, named, ranked) == ["/q/25_mine", "/flow/my-sessions"]
    assert isolated_paths(STATE, HttpLoad(isolate=False), ranked) == []
    assert isolated_paths(STATE, HttpLoad(scenario="report", isolate=False), ranked) == []
    with_scenario = HttpLoad(scenario="report", isolate=True)  # --scenario report --http-isolate
    assert isolated_paths(STATE, with_scenario, ranked)[-1] == "/q/03_sessions_validate_fast"


def test_winners_are_the_catalog_served_checks_slowest_first():
    def check(name: str, indexes: tuple[str, ...]):
        return SimpleNamespace(name=name, index_names=lambda: indexes)

    def timed(ms: float):
        return SimpleNamespace(timing=SimpleNamespace(p50_ms=ms))

    checks = [check("a", ("idx_a",)), check("b", ("idx_b",)), check("c", ("base_pkey",))]
    queries = {"a": timed(1.0), "b": timed(30.0), "c": timed(99.0)}
    assert winners(checks, queries, {"idx_a", "idx_b"}) == ["b", "a"]  # c: no catalog index


def _claim_run(**endpoints) -> dict:
    figures = {f"/flow/{k.replace('_', '-')}": v for k, v in endpoints.items()}
    return {"endpoints": figures, "aggregated": endpoints["all"]}


def _measured(avg, p50=None, p95=None, p99=None, requests=1000, failures=0):
    return {"requests": requests, "failures": failures, "avg_ms": avg, "p50_ms": p50,
            "p95_ms": p95, "p99_ms": p99}  # fmt: skip


def test_each_claim_holds_only_when_the_measured_figure_lies_in_the_claimed_range():
    before = _claim_run(
        all=_measured(90.0, p95=200.0, failures=100),
        sign_in=_measured(100.0),  # in 80–120
        session_validation=_measured(5.0),  # claimed 40–70 before: not so slow here
        org_dashboard=_measured(500.0),
    )
    after = _claim_run(
        all=_measured(20.0, p50=12.0, p95=45.0, p99=90.0, failures=20),
        sign_in=_measured(20.0),  # in 15–25
        session_validation=_measured(4.0),
        org_dashboard=_measured(30.0),  # claimed 12–20
    )
    by_claim = {c["claim"]: c for c in claims(before, after)}
    success = by_claim["success rate above 95 %"]
    assert success["after"]["success_percent"] == 98.0 and success["holds"]
    assert success["claimed_after_percent"] == [95.0, 100.0]
    assert success["claimed_before_ms"] is None and success["claimed_after_ms"] is None
    average = by_claim["average response under 35 ms (15–35 ms)"]
    assert average["holds"] and average["after"]["p99_ms"] == 90.0
    assert by_claim["p95 under 50 ms"]["holds"]
    sign_in = by_claim["authentication 80–120 ms → 15–25 ms"]
    assert sign_in["holds"] and sign_in["claimed_before_ms"] == [80.0, 120.0]
    validation = by_claim["session validation 40–70 ms → 3–8 ms"]
    assert not validation["holds"]
    assert validation["verdict"] == "before 5 ms is below the claimed 40–70 ms"
    organisation = by_claim["organisation data 70–110 ms → 12–20 ms"]
    assert not organisation["holds"]
    assert organisation["verdict"] == (
        "before 500 ms is above the claimed 70–110 ms; after 30 ms is above the claimed 12–20 ms"
    )


def test_a_claim_without_numbers_does_not_hold():
    (first, *_) = claims(None, None)
    assert first["holds"] is False and first["verdict"] == "after: not measured"


@pytest.mark.parametrize(
    ("given", "flag"),
    [
        ({"http_users": 0}, "--http-users"),
        ({"http_seconds": 5.0}, "--http-seconds"),
        ({"http_endpoints": ("25_sessions_list_mine",)}, "--http-endpoint"),
        ({"http_isolate": False}, "--http-isolate"),
        ({"scenario": "report"}, "--scenario"),
    ],
)
def test_an_http_option_without_http_is_refused(given: dict, flag: str, tmp_path: Path):
    with pytest.raises(UserError) as refused:
        http_load(BenchOptions(**given), tmp_path)
    assert refused.value.message.startswith(f"{flag} without --http:")


def test_the_report_scenario_defaults_to_100_users_for_300_seconds(tmp_path: Path):
    load = http_load(BenchOptions(http=True, scenario="report"), tmp_path)
    assert (load.users, load.seconds, load.isolate) == (100, 300.0, False)
    shorter = http_load(BenchOptions(http=True, scenario="report", http_seconds=30), tmp_path)
    assert shorter.seconds == 30 and shorter.users == 100
    plain = http_load(BenchOptions(http=True), tmp_path)
    assert (plain.users, plain.seconds, plain.isolate) == (50, 20.0, True)
    with pytest.raises(UserError, match="--scenario nope: give report"):
        http_load(BenchOptions(http=True, scenario="nope"), tmp_path)


def test_the_refusal_docs_show_is_what_bench_prints(run_cli, tmp_path: Path):
    doc = (Path(__file__).resolve().parent.parent / "docs" / "serve.md").read_text()
    shown = doc.split("$ plinto-db bench --http-users 0\n", 1)[1].split("\n", 1)[0]
    result = run_cli("bench", "--http-users", "0", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == shown
    assert not (tmp_path / "no-embedded-here").exists()  # refused before any server started


@pytest.mark.parametrize(
    ("ratio", "noisy"), [(1.0, False), (1.2, False), (0.66, True), (3.9, True)]
)
def test_a_1x_control_that_strays_flags_the_machine_as_noisy(ratio: float, noisy: bool):
    from plinto_db.bench.http_document import control
    from plinto_db.report.bench_http import control_note

    path = "/q/03_sessions_validate_fast"
    rows = [{"endpoint": "/flow/x", "rps_ratio": 40.0}, {"endpoint": path, "rps_ratio": ratio}]
    reading = control(rows, path)
    assert reading == {"endpoint": path, "rps_ratio": ratio, "noisy": noisy}
    lines = control_note(reading)
    assert bool(lines) is noisy
    if noisy:
        assert (
            lines[0].startswith("http: NOISY: the 1× control") and f"{ratio:.2f}×"[:3] in lines[0]
        )
    assert control(rows[:1], path) is None


def test_the_whole_runs_failures_are_summed_by_status_over_its_endpoints():
    pool = {"status": 503, "kind": "overload", "reason": "503 pool exhausted"}
    failures = [
        {"name": "/flow/a", **pool, "count": 3},
        {"name": "/flow/b", **pool, "count": 4},
        {"name": "/flow/b", "status": 500, "kind": "error", "reason": "500: x", "count": 9},
    ]
    figures = http_figures.phase_figures(_row(100, 16, 10.0), failures)
    assert figures["failures_by_status"] == [
        {"status": 500, "kind": "error", "reason": "500: x", "count": 9},
        {**pool, "count": 7},
    ]


@pytest.mark.parametrize(
    ("http", "http_error", "code"),
    [
        ({"bugs": []}, None, 0),  # overload alone is a result, not a failure
        ({"bugs": ["mix, /q/x: 3 × 500: boom"]}, None, 1),
        (None, "the API stopped at start-up (exit 1): …", 1),
    ],
)
def test_a_bug_or_an_http_phase_that_failed_fails_the_run(http, http_error, code):
    from plinto_db.bench.model import Phase, PhaseOutcome, PhaseStatus
    from plinto_db.bench.run import BenchResult

    phase = PhaseOutcome(
        Phase.AFTER, PhaseStatus.DONE, 1.0, "built", http=http, http_error=http_error
    )
    result = BenchResult(
        request=None, started_at="", seconds=0.0, server={}, machine={}, rows={},
        catalog={"restored": True}, phases=(phase,), queries=(), writes=(), sizes=(),
        pgbench=None,
    )  # fmt: skip
    assert int(result.exit_code) == code


def test_a_mixed_endpoint_that_failed_is_named_on_the_terminal_with_its_failures():
    dashboard, fine = "/flow/org-dashboard", "/q/03_sessions_validate_fast"
    before = _run({dashboard: _figures(100, 25, 10, [OVERLOAD]), fine: _figures(50, 0, 5)}, 20)
    after = _run({dashboard: _figures(100, 0, 10), fine: _figures(50, 0, 5)}, 20)
    phases = {"before": _phase(before, []), "after": _phase(after, [])}
    lines = summary(http_section(phases, {}, {"users": 50}))
    named = [line for line in lines if line.startswith("    /")]
    assert named == [
        f"    {dashboard}: 7.5 → 10 req/s; 25 failed: 25 × 503 pool exhausted → 0 failed"
    ]
