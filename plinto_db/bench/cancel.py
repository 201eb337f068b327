"""Ctrl-C while libpq blocks in a timed execution: cancel the query on the server.

The timing loop calls libpq's blocking PQexecPrepared (the leanest path from Python), and
Python runs its SIGINT handler only when that call returns: a 10-second sequential scan would
make Ctrl-C wait 10 seconds. The C-level handler still writes the signal number to the wakeup
fd at once; a watcher thread reading it sends a cancel request, the execution returns, and
the KeyboardInterrupt is raised as usual.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Iterator

import psycopg


@contextlib.contextmanager
def cancel_on_interrupt(conn: psycopg.Connection) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set the wakeup fd
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter
        reader.close()
        writer.close()
        yield
        return
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(reader, conn, stop), daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        stop.set()
        with contextlib.suppress(OSError):
            writer.send(b"\0")  # wake the watcher so it sees `stop`
        watcher.join(timeout=2)
        reader.close()
        writer.close()


def _watch(reader: socket.socket, conn: psycopg.Connection, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            data = reader.recv(64)
        except OSError:
            return
        if stop.is_set() or not data:
            return
        if signal.SIGINT in data:
            with contextlib.suppress(Exception):
                conn.pgconn.get_cancel().cancel()
