"""The shape of `apply`: the planner and its model decide without a database driver loaded,
and `plinto-db --help` loads none of the heavy libraries the commands use."""

from __future__ import annotations

import subprocess
import sys

PURE_ROOMS = (
    "plinto_db.apply.state",
    "plinto_db.apply.actions",
    "plinto_db.apply.plan",
    "plinto_db.apply.partitions",
    "plinto_db.apply.partition_state",
    "plinto_db.catalog.spec",
    "plinto_db.catalog.parse",
    "plinto_db.pg.identifiers",
    "plinto_db.pg.versions",
    "plinto_db.report.layout",
)
HEAVY = ("psycopg", "sqlglot", "pglast", "alembic", "sqlalchemy", "fastapi", "locust", "matplotlib")


def _loaded_after(code: str) -> list[str]:
    probe = code + "\nimport sys\nprint(sorted({m.split('.')[0] for m in sys.modules}))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout.strip().splitlines()[-1])  # a list literal we printed


def test_the_planner_and_its_model_import_no_psycopg():
    loaded = _loaded_after("import importlib\n" + "".join(
        f"importlib.import_module({name!r})\n" for name in PURE_ROOMS
    ))  # fmt: skip
    assert "psycopg" not in loaded


def test_help_loads_no_heavy_library():
    loaded = _loaded_after(
        "import sys\nsys.argv = ['plinto-db', '--help']\nfrom plinto_db import cli\n"
        "try:\n    cli.app()\nexcept SystemExit:\n    pass"
    )
    assert not set(HEAVY) & set(loaded), sorted(set(HEAVY) & set(loaded))
