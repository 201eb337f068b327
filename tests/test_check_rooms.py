"""The shape of `check`: its pure rooms decide without a database driver loaded."""

from __future__ import annotations

import subprocess
import sys

PURE_ROOMS = (
    "plinto_db.check.workload",
    "plinto_db.check.sqltext",
    "plinto_db.check.modes",
    "plinto_db.check.planwalk",
    "plinto_db.check.judge",
    "plinto_db.check.results",
    "plinto_db.check.decide",
    "plinto_db.check.coverage",
    "plinto_db.check.guard",
)


def test_the_pure_rooms_import_no_psycopg():
    code = (
        "import importlib, sys\n"
        f"for name in {PURE_ROOMS!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_use_case_lives_outside_the_command_module():
    from plinto_db.check.run import CheckRequest, run_checks
    from plinto_db.commands import check as command

    assert run_checks.__module__ == "plinto_db.check.run"
    assert CheckRequest.__module__ == "plinto_db.check.run"
    assert not hasattr(command, "run_checks")
