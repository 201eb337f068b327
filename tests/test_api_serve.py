"""`plinto-db serve` as a real process (PostgreSQL 15 and 18): start-up refusals with one line
and exit 2, several workers behind one /metrics, and a clean stop with no process left."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from plinto_db.api.prepare import prepare_state
from plinto_db.api.runner import free_port
from plinto_db.check.workload import load_workload
from plinto_db.errors import UserError

REPO = Path(__file__).resolve().parent.parent
CHECKS = REPO / "checks"


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "plinto_db", "serve", *args]


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    env["PLINTO_DB_DATA_DIR"] = str(tmp_path / "no-embedded-here")
    temporary = tmp_path / "tmp"  # serve's state file and metrics directory go here
    temporary.mkdir(exist_ok=True)
    env["TMPDIR"] = str(temporary)
    return env


def run_serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        serve_command(*args),
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=120,
        cwd=REPO,
    )


def test_start_up_refuses_a_database_without_the_schema_naming_the_file(empty_db: str):
    with pytest.raises(UserError) as info:
        prepare_state(empty_db, load_workload(CHECKS), CHECKS)
    message = info.value.message
    assert message.startswith(f"{CHECKS / '01_users_signin_by_email.sql'}:5: ")
    assert 'relation "users" does not exist' in message and "plinto-db migrate" in message


def test_start_up_refuses_a_schema_without_data(schema_db: str):
    with pytest.raises(UserError, match=r"schema but no data .*run `plinto-db seed` first"):
        prepare_state(schema_db, load_workload(CHECKS), CHECKS)


def test_a_sample_without_rows_leaves_the_endpoint_without_values(schema_db: str, tmp_path):
    (tmp_path / "01_mine.sql").write_text(
        "-- expect: index-on users\n-- sample: SELECT email FROM users LIMIT 1\n"
        "SELECT id FROM users WHERE email = $1\n"
    )
    (endpoint,) = prepare_state(schema_db, load_workload(tmp_path), tmp_path).endpoints
    assert endpoint.defaults is None
    assert endpoint.source == "the sample query (line 2) returned no rows"


def test_a_sample_that_writes_is_refused(schema_db: str, tmp_path):
    (tmp_path / "01_mine.sql").write_text(
        "-- expect: index-on users\n-- sample: DELETE FROM users RETURNING email\n"
        "SELECT id FROM users WHERE email = $1\n"
    )
    with pytest.raises(UserError, match=r"01_mine.sql:2: the sample query failed: .*read-only"):
        prepare_state(schema_db, load_workload(tmp_path), tmp_path)


def test_serve_without_the_schema_is_one_line_and_exit_2(empty_db: str, tmp_path: Path):
    result = run_serve(tmp_path, "--dsn", empty_db, "--port", "0")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "plinto-db migrate" in errors[0]
    assert "Traceback" not in result.stderr


def test_serve_on_a_port_in_use_is_exit_2(seeded_db: str, tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve(tmp_path, "--dsn", seeded_db, "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def start_serve(dsn: str, tmp_path: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = serve_command(
        "--dsn", dsn, "--port", str(port), "--workers", str(workers), "--pool-size", "2"
    )
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(tmp_path),
        cwd=REPO,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if get(f"{base}/health")[0] == 200:
                return process, base
        except (urllib.error.URLError, ConnectionError):
            pass
        assert time.monotonic() < deadline, "serve did not answer /health"
        time.sleep(0.1)


def stopped_clean(process: subprocess.Popen, tmp_path: Path, sig: signal.Signals) -> str:
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(process.pid) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the state file (it holds the DSN): gone
    return stderr


def test_sigterm_stops_serve_with_exit_0_and_leaves_no_state_file(seeded_db: str, tmp_path):
    process, base = start_serve(seeded_db, tmp_path, workers=1)
    assert get(f"{base}/q/02_users_current_user")[0] == 200
    stopped_clean(process, tmp_path, signal.SIGTERM)


def test_serve_with_two_workers_answers_counts_in_one_metrics_and_stops_clean(
    seeded_db: str, tmp_path: Path
):
    process, base = start_serve(seeded_db, tmp_path, workers=2)
    try:
        assert len(group_members(process.pid)) >= 3  # uvicorn's supervisor and two workers
        for _ in range(20):
            status, body = get(f"{base}/q/03_sessions_validate_fast")
            assert status == 200 and len(json.loads(body)["rows"]) == 1
        metrics = get(f"{base}/metrics")[1].decode()
        series = 'plinto_api_request_duration_seconds_count{route="/q/03_sessions_validate_fast"}'
        counted = [float(x.split()[-1]) for x in metrics.splitlines() if x.startswith(series)]
        assert counted == [20.0]  # both workers' samples, whichever answered /metrics
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    stderr = stopped_clean(process, tmp_path, signal.SIGINT)  # the metrics directory too
    assert "serving 55 check endpoints and 5 flows on http://127.0.0.1" in stderr
