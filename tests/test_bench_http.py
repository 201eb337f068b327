"""The HTTP level of bench against real servers (PostgreSQL 15 and 18): the API and Locust as
subprocesses, short runs, and every process stopped afterwards (also on Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from plinto_db.bench.http import HttpLoad, run_http_phase
from plinto_db.errors import UserError

REPO = Path(__file__).resolve().parent.parent
CHECKS = REPO / "checks"
MARKER = "PLINTO_DB_TEST_HTTP_MARKER"


def marked(value: str) -> list[int]:
    """Live processes whose environment carries MARKER=value (children inherit it)."""
    needle = f"{MARKER}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture
def marker(monkeypatch: pytest.MonkeyPatch) -> str:
    value = uuid.uuid4().hex
    monkeypatch.setenv(MARKER, value)
    return value


def test_a_distributed_locust_run_gives_figures_per_endpoint_and_leaves_nothing_running(
    seeded_db: str, tmp_path: Path, marker: str
):
    load = HttpLoad(
        users=4,
        spawn_rate=4,
        seconds=3,
        workers=2,
        api_workers=1,
        pool_size=2,
        endpoints=("session-validation", "03_sessions_validate_fast"),
        isolate=False,
    )
    result = run_http_phase(seeded_db, CHECKS, load, tmp_path, "after")
    mix = result["mix"]
    by_name = mix["endpoints"]
    assert set(by_name) == {"/flow/session-validation", "/q/03_sessions_validate_fast"}
    for figures in by_name.values():
        assert figures["requests"] > 0 and figures["failures"] == 0
        assert figures["rps"] > 0 and figures["p50_ms"] is not None
        assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert mix["aggregated"]["requests"] == sum(e["requests"] for e in by_name.values())
    assert Path(mix["locust_csv"]).is_file()
    assert result["isolated"] == [] and result["bugs"] == []
    assert result["load"]["workers"] == 2 and any("2 Locust workers" in x for x in result["limits"])
    assert marked(marker) == []


def test_each_named_endpoint_also_runs_alone_after_the_mix(
    seeded_db: str, tmp_path: Path, marker: str
):
    load = HttpLoad(
        users=2, spawn_rate=2, seconds=2, isolate_seconds=2, api_workers=1, pool_size=2,
        endpoints=("my-sessions", "03_sessions_validate_fast"),
    )  # fmt: skip
    result = run_http_phase(seeded_db, CHECKS, load, tmp_path, "before")
    assert result["isolated_paths"] == ["/flow/my-sessions", "/q/03_sessions_validate_fast"]
    for run, path in zip(result["isolated"], result["isolated_paths"], strict=True):
        assert run["endpoint"] == path and run["seconds"] == 2
        assert set(run["endpoints"]) == {path}  # that endpoint alone, nothing else
        assert run["endpoints"][path]["requests"] > 0
    # the next phase runs the same endpoints alone, whatever it would choose itself
    again = run_http_phase(
        seeded_db, CHECKS, HttpLoad(users=1, seconds=1, isolate_seconds=1, api_workers=1,
                                    pool_size=1, endpoints=("03_sessions_validate_fast",)),
        tmp_path, "after", isolate=["/flow/my-sessions"],
    )  # fmt: skip
    assert [run["endpoint"] for run in again["isolated"]] == ["/flow/my-sessions"]
    assert marked(marker) == []


def test_a_constant_offered_rate_paces_the_users(seeded_db: str, tmp_path: Path, marker: str):
    load = HttpLoad(
        users=2, spawn_rate=2, seconds=4, target_rps=10, api_workers=1, pool_size=2,
        endpoints=("03_sessions_validate_fast",), isolate=False,
    )  # fmt: skip
    result = run_http_phase(seeded_db, CHECKS, load, tmp_path, "before")
    (figures,) = result["mix"]["endpoints"].values()
    # 10 requests/s offered for about 4 s (and the last second's stop): never saturation,
    # however fast the API (a busy machine may send fewer: the pace is an upper bound)
    assert 0 < figures["requests"] <= 60
    assert result["limits"][0].startswith("constant throughput: 10 requests/s offered")
    assert marked(marker) == []


SLOW_CHECK = """-- Holds its pooled connection for a second.
-- expect: seqscan users
-- params: 1
SELECT pg_sleep($1::float8) IS NULL AS slept;
"""
BROKEN_CHECK = """-- A scalar subquery returning two rows: refused by the server (21000, HTTP 500).
-- expect: seqscan users
-- params: 0
SELECT (SELECT x FROM (VALUES (1), (2)) v(x) WHERE x > $1::int) AS x;
"""


def _checks(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "checks"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.sql").write_text(text)
    return folder


def test_a_503_from_pool_exhaustion_is_overload_and_not_throughput(
    seeded_db: str, tmp_path: Path, marker: str
):
    # one connection, each request holds it for 1 s, 12 users: most wait past the pool's 5 s
    checks = _checks(tmp_path, slow=SLOW_CHECK)
    load = HttpLoad(users=12, spawn_rate=12, seconds=8, api_workers=1, pool_size=1,
                    endpoints=("slow",), isolate=False)  # fmt: skip
    result = run_http_phase(seeded_db, checks, load, tmp_path, "before")
    figures = result["mix"]["endpoints"]["/q/slow"]
    (failure,) = figures["failures_by_status"]
    assert failure["status"] == 503 and failure["kind"] == "overload"
    assert failure["reason"].startswith("503 pool exhausted")
    assert failure["count"] == figures["failures"] > 0
    assert figures["rps"] < figures["sent_rps"]  # failed requests are not throughput
    assert result["bugs"] == []
    assert marked(marker) == []


def test_any_other_failure_is_a_bug_named_by_endpoint_and_status(
    seeded_db: str, tmp_path: Path, marker: str
):
    checks = _checks(tmp_path, broken=BROKEN_CHECK)
    load = HttpLoad(users=1, spawn_rate=1, seconds=1, isolate_seconds=1, api_workers=1,
                    pool_size=1, endpoints=("broken",))  # fmt: skip
    result = run_http_phase(seeded_db, checks, load, tmp_path, "after")
    (failure,) = result["mix"]["endpoints"]["/q/broken"]["failures_by_status"]
    assert failure["status"] == 500 and failure["kind"] == "error"
    assert "more than one row returned by a subquery" in failure["reason"]
    assert result["bugs"][0].startswith("mix, /q/broken: ")
    assert result["bugs"][1].startswith("/q/broken alone, /q/broken: ")
    assert marked(marker) == []


def test_a_database_without_the_schema_is_refused_before_any_process(
    empty_db: str, tmp_path: Path, marker: str
):
    with pytest.raises(UserError, match="plinto-db migrate"):
        run_http_phase(empty_db, CHECKS, HttpLoad(seconds=1), tmp_path, "before")
    assert not (tmp_path / "http-before").exists()
    assert marked(marker) == []


INTERRUPTED = """
import sys
from pathlib import Path
from plinto_db.bench.http import HttpLoad, run_http_phase
try:
    run_http_phase(sys.argv[1], Path(sys.argv[2]), HttpLoad(users=2, spawn_rate=2, seconds=60,
                   api_workers=2, pool_size=2, endpoints=("session-validation",),
                   isolate=False),
                   Path(sys.argv[3]), "after")
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_ctrl_c_stops_the_api_and_locust(seeded_db: str, tmp_path: Path, marker: str):
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, seeded_db, str(CHECKS), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    log = tmp_path / "http-after" / "locust.log"
    deadline = time.monotonic() + 300  # a loaded machine starts the API and Locust slowly
    while not log.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "Locust did not start"
        time.sleep(0.1)
    time.sleep(1.0)
    assert len(marked(marker)) >= 4  # us, the API's supervisor and workers, Locust
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    deadline = time.monotonic() + 10
    while marked(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marked(marker) == []
