"""The README's main-job command, exactly as written, run twice in a fresh clone with a fresh
home folder: both runs succeed, the second reuses the data the first seeded, and the clone's
`git status` stays clean (what the tool writes is ignored). Slow: it installs the package and
seeds 50,000 users.

The clone and the home folder live in a folder of their own, not under pytest's basetemp:
every pytest session that starts on the machine resets /tmp/pytest-of-<user> to mode 0700,
which locks the unprivileged user the embedded server runs as (as root) out of its data
directory, so `server stop` failed and left the server running. A run past the timeout is
killed with its whole process group: an orphaned demo went on seeding while the test stopped
the server under it ("server closed the connection unexpectedly"). A failure quotes the end
of the server's log: a server that was killed or shut down says so there."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = Path(".local") / "share" / "plinto-db" / "pgdata"  # under the home folder
# a demo takes minutes on a laptop, but over half an hour on two cores shared by 8 suites
TIMEOUT_SECONDS = 3600

pytestmark = pytest.mark.slow


def main_job_command() -> str:
    readme = (REPO / "README.md").read_text()
    after = readme.split("**Install and run the main job**", 1)[1]
    block = re.search(r"```bash\n(.+?)\n```", after, re.DOTALL)
    assert block, "the README has no main-job command"
    return block.group(1).strip()


def test_the_main_job_installs_quietly_as_the_test_command_does():
    assert "pip install -q ." in main_job_command()


@pytest.fixture
def workspace() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="plinto-db-main-job-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_readme_main_job_runs_twice_in_a_fresh_clone(workspace):
    if subprocess.run(["git", "-C", str(REPO), "rev-parse"], capture_output=True).returncode:
        pytest.skip("not a git checkout: nothing to clone")
    clone, home = workspace / "clone", workspace / "home"
    home.mkdir()
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLINTO_DB_", "XDG_", "VIRTUAL_ENV"))
        and key not in ("DATABASE_URL", "PYTHONPATH")
    }
    env["HOME"] = str(home)
    command = main_job_command()
    try:
        first = _run(command, clone, env)
        again = _run(command, clone, env)
        assert "reus" in (again.stdout + again.stderr).lower()  # the seeded data, said so
        assert (home / DATA_DIR / "PG_VERSION").is_file()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=clone, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert status.stdout == "", f"the main job left files git sees:\n{status.stdout}"
        assert first.returncode == again.returncode == 0
    finally:
        stopped = _stop_server(clone, env)
    assert stopped.returncode == 0, stopped.stderr  # never a server left running


def _run(command: str, clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The command in a process group of its own: on a timeout the whole group is killed, so
    no orphaned demo goes on seeding while the server is stopped under it."""
    process = subprocess.Popen(
        ["bash", "-c", command], cwd=clone, env=env, text=True, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # not reaped yet: the group is still ours
        stdout, stderr = process.communicate()
        _fail(f"the main job did not end in {TIMEOUT_SECONDS} s", stdout, stderr, env)
    if process.returncode != 0:
        _fail(f"the main job exited {process.returncode}", stdout, stderr, env)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _fail(what: str, stdout: str, stderr: str, env: dict[str, str]) -> None:
    log = Path(env["HOME"]) / DATA_DIR / "log"
    tail = "\n".join(log.read_text().splitlines()[-30:]) if log.is_file() else "(no log)"
    pytest.fail(
        f"{what}\n--- stdout\n{stdout[-3000:]}\n--- stderr\n{stderr[-3000:]}\n"
        f"--- the embedded server's log\n{tail}"
    )


def _stop_server(clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    stopper = clone / ".venv" / "bin" / "plinto-db"
    if not stopper.exists():
        return subprocess.CompletedProcess([], 0, "", "")
    return subprocess.run(
        [str(stopper), "server", "stop"], cwd=clone, env=env, capture_output=True, text=True
    )
