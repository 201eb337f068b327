"""A real streaming hot standby of a test server (tests/pg_servers.py), for read-only tests.

    standby = start_standby(pg_server)     # pg_basebackup -R, then pg_ctl start
    try:
        standby.catch_up()                 # wait until it replayed everything the primary wrote
        dsn = standby.dsn(primary_dsn)     # the same database, on the standby's socket
    finally:
        standby.stop()                     # pg_ctl stop, else SIGKILL to its postmaster pid

It runs as the OS user that owns the primary's cluster (initdb refuses root), from the same
binaries, in its own temporary folder and socket dir. The primary's defaults allow it: an
initdb with --auth=trust trusts local replication connections, wal_level is replica and
max_wal_senders 10. Only the throw-away clusters (pg18, pg<system major>) can have one.
"""

from __future__ import annotations

import os
import pwd
import time
from pathlib import Path

import psycopg
from pg_servers import (
    FAST_SETTINGS,
    Cluster,
    TestServer,
    embedded_bindir,
    system_bindir,
    system_major,
)

STANDBY_SETTINGS = {**FAST_SETTINGS, "hot_standby": "on"}


class NoStandby(Exception):
    """This server cannot have a standby here (an external server or a container)."""


class Standby(Cluster):
    """A cluster made by pg_basebackup instead of initdb; stopped as any test cluster."""

    def dsn(self, primary_dsn: str) -> str:
        """The same database as `primary_dsn`, on the standby."""
        return psycopg.conninfo.make_conninfo(primary_dsn, host=str(self.root), port="5432")

    def catch_up(self, primary_dsn: str, timeout: float = 60) -> None:
        """Wait until the standby has replayed every WAL record the primary wrote so far."""
        with psycopg.connect(primary_dsn, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.dsn(primary_dsn), autocommit=True) as conn:
            while True:
                done = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (str(target),)
                ).fetchone()[0]
                if done:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the standby did not replay up to {target} in {timeout} s")
                time.sleep(0.1)


def start_standby(primary: TestServer) -> Standby:
    """A hot standby of `primary`, streaming from it, accepting read-only connections."""
    bindir = _bindir(primary)
    host = psycopg.conninfo.conninfo_to_dict(primary.admin_dsn).get("host") or ""
    if not host.startswith("/"):
        raise NoStandby(f"{primary.name} is not a local throw-away cluster")
    run_as = pwd.getpwuid(os.stat(host).st_uid).pw_name if os.geteuid() == 0 else None
    standby = Standby(f"{primary.name}-standby", bindir, run_as)
    root = standby.root
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    try:
        standby._run(
            "pg_basebackup", "-D", standby.data, "-R", "-X", "stream", "-c", "fast",
            "-h", host, "-p", "5432", "-U", "postgres", "--no-sync",
        )  # fmt: skip
        options = " ".join(f"-c {k}={v}" for k, v in STANDBY_SETTINGS.items())
        standby._run(
            "pg_ctl", "-D", standby.data, "-l", root / "log", "-w", "-t", "60",
            "-o", f"{options} -k {root} -p 5432", "start",
        )  # fmt: skip
        standby.pid = int((standby.data / "postmaster.pid").read_text().splitlines()[0])
        with psycopg.connect(standby.dsn(primary.admin_dsn), autocommit=True) as conn:
            if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                raise RuntimeError("the standby is not in recovery")
    except BaseException:
        standby.stop()
        raise
    return standby


def _bindir(primary: TestServer) -> Path:
    if primary.name == "pg18":
        bindir = embedded_bindir()
    elif system_bindir() is not None and primary.name == f"pg{system_major()}":
        bindir = system_bindir()
    else:
        raise NoStandby(f"{primary.name} is not a throw-away cluster of ours")
    assert bindir is not None
    return bindir
