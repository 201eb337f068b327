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
    )
    result = run_http_phase(seeded_db, CHECKS, load, tmp_path, "after")
    by_name = {e["name"]: e for e in result["endpoints"]}
    assert set(by_name) == {"/flow/session-validation", "/q/03_sessions_validate_fast"}
    for figures in by_name.values():
        assert figures["requests"] > 0 and figures["failures"] == 0
        assert figures["rps"] > 0 and figures["p50_ms"] is not None
        assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert result["aggregated"]["requests"] == sum(e["requests"] for e in by_name.values())
    assert Path(result["locust_csv"]).is_file()
    assert result["load"]["workers"] == 2 and any("2 Locust workers" in x for x in result["limits"])
    assert marked(marker) == []


def test_a_constant_offered_rate_paces_the_users(seeded_db: str, tmp_path: Path, marker: str):
    load = HttpLoad(
        users=2, spawn_rate=2, seconds=4, target_rps=10, api_workers=1, pool_size=2,
        endpoints=("03_sessions_validate_fast",),
    )  # fmt: skip
    result = run_http_phase(seeded_db, CHECKS, load, tmp_path, "before")
    (figures,) = result["endpoints"]
    # 10 requests/s offered for about 4 s (and the last second's stop): never saturation
    assert 20 <= figures["requests"] <= 60
    assert result["limits"][0].startswith("constant throughput: 10 requests/s offered")
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
                   api_workers=2, pool_size=2, endpoints=("session-validation",)),
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
    deadline = time.monotonic() + 60
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
