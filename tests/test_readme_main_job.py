"""The README's main-job command, exactly as written, run twice in a fresh clone with a fresh
home folder: both runs succeed, the second reuses the data the first seeded. Slow: it
installs the package and seeds 50,000 users."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def main_job_command() -> str:
    readme = (REPO / "README.md").read_text()
    after = readme.split("**Install and run the main job**", 1)[1]
    block = re.search(r"```bash\n(.+?)\n```", after, re.DOTALL)
    assert block, "the README has no main-job command"
    return block.group(1).strip()


def test_the_readme_main_job_runs_twice_in_a_fresh_clone(tmp_path):
    if subprocess.run(["git", "-C", str(REPO), "rev-parse"], capture_output=True).returncode:
        pytest.skip("not a git checkout: nothing to clone")
    clone, home = tmp_path / "clone", tmp_path / "home"
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
        first = subprocess.run(
            ["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
            timeout=1200,
        )  # fmt: skip
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        again = subprocess.run(
            ["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
            timeout=1200,
        )  # fmt: skip
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "reus" in (again.stdout + again.stderr).lower()  # the seeded data, said so
        assert (home / ".local" / "share" / "plinto-db" / "pgdata" / "PG_VERSION").is_file()
    finally:
        stopper = clone / ".venv" / "bin" / "plinto-db"
        if stopper.exists():
            subprocess.run(
                [str(stopper), "server", "stop"], cwd=clone, env=env, capture_output=True
            )
