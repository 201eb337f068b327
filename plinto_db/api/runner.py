"""Running the API on uvicorn: the state file, the workers, the metrics directory, ports.

`serve(...)` runs in the calling process until SIGINT/SIGTERM (uvicorn's own handlers stop the
workers). `python -m plinto_db.api.runner --state FILE ...` is the same for a parent that
prepared the state itself and manages the process (bench): it never reads the workload or
the server, so its start-up is only uvicorn's.
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from plinto_db.api.app import POOL_ENV, STATE_ENV
from plinto_db.api.endpoints import ApiState
from plinto_db.api.metrics import MULTIPROC_ENV
from plinto_db.errors import ExitCode, PlintoError, UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
FACTORY = "plinto_db.api.app:app_from_env"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port nothing listens on now (the OS picks it: bind to port 0)."""
    return _bind(host, 0)


def require_free(host: str, port: int) -> None:
    _bind(host, port)


# bind() errors that are the address's fault (not this machine's, IPv6 off, link-local without
# a scope); any other (in use, permission) is the port's
_HOST_ERRORS = {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EINVAL}


def _bind(host: str, port: int) -> int:
    """Bind a probe socket to host:port and release it: the port bound, or one line naming
    what is wrong, the host (not resolvable, not this machine's) or the port (in use)."""
    try:
        with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
            probe.bind((host, port))
            return probe.getsockname()[1]
    except OSError as exc:
        place = f"{host}:{port}" if port else host
        reason = exc.strerror or str(exc)
        if isinstance(exc, socket.gaierror) or exc.errno in _HOST_ERRORS:
            hint = "pass another --host: an address of this machine"
        else:
            hint = "pass another --port; --port 0 picks a free one"
        raise UserError(f"cannot listen on {place}: {reason} ({hint})") from None


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def write_state(state: ApiState, folder: Path) -> Path:
    """The state as a file only this user can read (it holds the DSN)."""
    path = folder / "api-state.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(state.to_json())
    return path


@contextmanager
def worker_environment(state_file: Path, pool_size: int, workers: int) -> Iterator[None]:
    """The variables the worker processes read; a fresh metrics directory for several workers."""
    saved = {k: os.environ.get(k) for k in (STATE_ENV, POOL_ENV, MULTIPROC_ENV)}
    metrics_dir = tempfile.mkdtemp(prefix="plinto-db-metrics-") if workers > 1 else None
    os.environ[STATE_ENV] = str(state_file)
    os.environ[POOL_ENV] = str(pool_size)
    if metrics_dir:
        os.environ[MULTIPROC_ENV] = metrics_dir
    else:
        os.environ.pop(MULTIPROC_ENV, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


class _Terminated(Exception):
    """SIGTERM, once uvicorn has shut down gracefully."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated()


def run_uvicorn(host: str, port: int, workers: int) -> None:
    """uvicorn until SIGINT or SIGTERM; returns normally for both.

    After a graceful shutdown a single-process uvicorn re-raises the signal it caught, under the
    handler found before it started: with the default one, SIGTERM ended the process there and
    the callers' `finally` (the state file with the DSN, the metrics directory) never ran.
    """
    import uvicorn

    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        uvicorn.run(
            FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_level="warning",
            server_header=False,
            proxy_headers=False,  # nothing proxies a benchmark target on 127.0.0.1
        )
    except _Terminated:
        pass
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise PlintoError(
                f"the API stopped at start-up (uvicorn exit {exc.code})", ExitCode.FAILED
            ) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(
    state: ApiState,
    *,
    host: str,
    port: int,
    workers: int,
    pool_size: int,
    note: Callable[[str], None],
) -> None:
    if workers < 1:
        raise UserError(f"--workers must be 1 or more, got {workers}")
    if pool_size < 1:
        raise UserError(f"--pool-size must be 1 or more, got {pool_size}")
    if port == 0:
        port = free_port(host)
    else:
        require_free(host, port)
    if host not in LOCAL_HOSTS:
        note(
            f"listening on {host}: anyone who reaches it can read the database through it "
            "(no authentication: a benchmark target, not an authentication server)"
        )
    flows = f" and {len(state.flows)} flows" if state.flows else ""
    note(
        f"serving {len(state.endpoints)} check endpoints{flows} on http://{host}:{port} "
        f"({workers} worker{'s' if workers > 1 else ''}, {pool_size} connections each); "
        "Ctrl-C stops"
    )
    folder = Path(tempfile.mkdtemp(prefix="plinto-db-api-"))
    try:
        with worker_environment(write_state(state, folder), pool_size, workers):
            run_uvicorn(host, port, workers)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m plinto_db.api.runner")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pool-size", type=int, default=8)
    args = parser.parse_args(argv)
    with worker_environment(args.state, args.pool_size, args.workers):
        run_uvicorn(args.host, args.port, args.workers)


if __name__ == "__main__":
    import sys

    try:
        main()
    except PlintoError as exc:
        print(f"plinto-db: error: {exc.message}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
