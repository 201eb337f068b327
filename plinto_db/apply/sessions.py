"""The DDL sessions: dedicated autocommit connections, one statement per execute (F1).

A session serves one action at a time. It is reused after a clean action (a fresh backend
starts with cold catalog caches) and replaced after any failure or cancel. Every session
carries the short `lock_timeout` of --lock-timeout; a build lifts it for its own statement
only (F9).
"""

from __future__ import annotations

import threading

import psycopg

from plinto_db.apply.actions import Action
from plinto_db.pg.connect import connect

_IDLE = psycopg.pq.TransactionStatus.IDLE


class DdlSessions:
    def __init__(self, dsn: str, application_name: str, lock_timeout: float):
        self.dsn = dsn
        self.application_name = application_name
        self.lock_ms = max(1, int(lock_timeout * 1000))
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def acquire(self, action: Action) -> psycopg.Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed or conn.info.transaction_status != _IDLE:
            return self.fresh(action)
        conn.execute(
            "SELECT pg_catalog.set_config('application_name', %s, false)",
            (self.app_name(action),),
        )
        return conn

    def fresh(self, action: Action) -> psycopg.Connection:
        """A new session, e.g. to clean up after the action's own session died."""
        conn = connect(self.dsn, application_name=self.app_name(action))
        self._configure(conn)
        return conn

    def release(self, conn: psycopg.Connection, *, reusable: bool) -> None:
        if reusable and not conn.closed and conn.info.transaction_status == _IDLE:
            with self._lock:
                self._idle.append(conn)
            return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def app_name(self, action: Action) -> str:
        return f"{self.application_name}: {action.kind} {action.name}"[:63]

    def _configure(self, conn: psycopg.Connection) -> None:
        """Session settings, one statement each (never a multi-statement string, F1)."""
        conn.execute("SET statement_timeout = 0")
        conn.execute("SET idle_in_transaction_session_timeout = 0")
        if conn.info.server_version >= 170000:
            conn.execute("SET transaction_timeout = 0")
        if conn.info.server_version >= 140000:
            # a killed apply must not leave its build running on: the server notices
            conn.execute("SET client_connection_check_interval = '2s'")
        conn.execute(f"SET lock_timeout = {self.lock_ms}")
