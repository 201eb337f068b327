"""`plinto-db demo` end to end on the embedded server in a temporary data dir: the first
run seeds, the second reuses the data and says so; the catalog stays built. A third run on
a terminal of 80 columns: every line it prints, its progress notes included, fits."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from test_bench_support import cli_env, command

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DEMO = (
    "--users",
    "300",
    "--iterations",
    "10",
    "--max-seconds-per-query",
    "0.2",
    "--pgbench-seconds",
    "1",
)


@pytest.mark.slow
def test_demo_from_nothing_then_again_reusing_the_data(tmp_path):
    data_dir = tmp_path / "pgdata"
    env = cli_env(tmp_path)

    def demo(out: str, fmt: str = "json", **terminal: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            command(
                "demo",
                "--data-dir",
                str(data_dir),
                *DEMO,
                "--out",
                str(tmp_path / out),
                "--format",
                fmt,
            ),
            capture_output=True,
            text=True,
            env={**env, **terminal},
            cwd=tmp_path,
            timeout=600,
        )

    try:
        first = demo("first")
        assert first.returncode == 0, first.stderr
        doc = json.loads(first.stdout)
        assert doc["demo"]["reused"] is False and "seeded 300 users" in doc["demo"]["data"]
        assert doc["demo"]["check"].endswith("all pass")
        assert doc["results"]["catalog"]["final"] == "catalog"
        assert (tmp_path / "first" / "report.md").is_file()
        assert (tmp_path / "first" / "results.json").is_file()

        second = demo("second")
        assert second.returncode == 0, second.stderr
        again = json.loads(second.stdout)
        assert again["demo"]["reused"] is True
        assert "reusing the seeded data" in again["demo"]["data"]
        before = {p["name"]: p for p in again["results"]["phases"]}["before"]
        assert before["catalog"].startswith("dropped 45")  # the first run left it built
        assert again["results"]["catalog"]["valid_at_end"] == 45

        shown = demo("third", "table", FORCE_COLOR="1", NO_COLOR="1", COLUMNS="80", TERM="xterm")
        assert shown.returncode == 0, shown.stderr
        lines = [ANSI.sub("", line) for line in (shown.stderr + shown.stdout).splitlines()]
        too_wide = [line for line in lines if len(line) > 80]
        assert not too_wide, "\n".join(too_wide)
        reused = next(i for i, line in enumerate(lines) if "reusing the seeded data" in line)
        assert lines[reused].startswith("plinto-db: seed: reusing the seeded data (300 users")
        assert lines[reused + 1].startswith("  ") and "`plinto-db seed --users" in " ".join(
            lines[reused : reused + 2]
        )
    finally:
        subprocess.run(
            [*command("server", "stop", "--data-dir", str(data_dir))],
            capture_output=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )


@pytest.mark.slow
def test_demo_says_where_the_server_it_starts_runs_and_how_to_stop_it(tmp_path):
    import shutil
    import tempfile
    from pathlib import Path

    # outside pytest's root-only folder, so `server stop` (run as the server's user) can
    # reach the data dir
    home = Path(tempfile.mkdtemp(prefix="plinto-demo-note-"))
    home.chmod(0o755)
    data_dir = home / "pgdata"
    env = cli_env(tmp_path)
    try:
        shown = subprocess.run(
            command(
                "demo",
                "--data-dir",
                str(data_dir),
                "--users",
                "100",
                "--iterations",
                "3",
                "--max-seconds-per-query",
                "0.05",
                "--pgbench-seconds",
                "0",
                "--out",
                str(tmp_path / "out"),
            ),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
        )
        assert shown.returncode == 0, shown.stderr
        said = " ".join(line.strip() for line in shown.stderr.splitlines())
        assert "started the embedded PostgreSQL (pid" in said and str(data_dir) in said
        assert "it keeps running for the next commands" in said
        assert f"`plinto-db server stop --data-dir {data_dir}`" in said
    finally:
        stopped = subprocess.run(
            command("server", "stop", "--data-dir", str(data_dir)),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        shutil.rmtree(home, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stderr
