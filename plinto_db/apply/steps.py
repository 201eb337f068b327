"""Running one step of a plan on a DDL session, exactly as the plan wrote it.

- BUILD: CREATE INDEX CONCURRENTLY with lock_timeout 0 for that statement (F9); bounded by
  --build-timeout from the monitor's connection instead. When it fails or is cancelled, the
  step's planned cleanup drops the INVALID index it left (F3), from a fresh session if its
  own died, and only while that index is still INVALID (a valid one is someone else's).
- DROP, SWAP, ANALYZE: under --lock-timeout, retried with bounded jittered backoff; an
  optional step that cannot run is reported, not fatal.
- WAIT: another session builds the index (F5): poll until its build ends.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import errors as pg_errors

from plinto_db.apply.actions import Action, Step, StepKind
from plinto_db.apply.introspect import read_builds
from plinto_db.apply.outcome import Events, Outcome, Result
from plinto_db.apply.progress import Blocker, BuildProgress, read_blockers
from plinto_db.apply.sessions import DdlSessions
from plinto_db.apply.state import build_of
from plinto_db.errors import PlintoError
from plinto_db.pg.messages import server_message

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 15.0
WAIT_POLL_SECONDS = 1.0

IS_INVALID_SQL = (
    "SELECT NOT i.indisvalid FROM pg_catalog.pg_index i "
    "WHERE i.indexrelid = pg_catalog.to_regclass(%s)"
)


@dataclass
class RunningBuild:
    """A build the monitor watches: its backend pid, start and what it waits for."""

    action: Action
    step: Step
    pid: int
    started: float
    cancel_requested: bool = False
    progress: BuildProgress | None = None
    blockers_seen: dict[int, Blocker] = field(default_factory=dict)

    def describe_wait(self) -> str:
        phase = f" in phase '{self.progress.phase}'" if self.progress else ""
        if self.blockers_seen:
            who = "; ".join(b.describe() for b in self.blockers_seen.values())
            return f"{phase}, waiting for {who}"
        return phase


class Blocked(Exception):
    """A short-lock step did not get its lock within --lock-timeout, retries included."""


class StepRunner:
    def __init__(
        self,
        sessions: DdlSessions,
        events: Events,
        *,
        lock_timeout: float,
        retries: int,
        build_timeout: float | None,
    ):
        self.sessions = sessions
        self.events = events
        self.lock_timeout = lock_timeout
        self.retries = retries
        self.build_timeout = build_timeout
        self.interrupted = threading.Event()
        self.running: dict[str, RunningBuild] = {}
        self.lock = threading.Lock()

    def run(self, conn: psycopg.Connection, action: Action, step: Step, outcome: Outcome) -> None:
        if step.kind == StepKind.BUILD:
            self.build(conn, action, step, outcome)
            return
        try:
            self.short_lock(conn, step, outcome)
        except (Blocked, psycopg.Error) as exc:
            reason = str(exc) if isinstance(exc, Blocked) else server_message(exc)
            if step.optional:  # the action's work is done without it
                outcome.add_detail(
                    f"{step.statements[0].split()[0]} skipped ({reason}); {step.why}"
                )
                return
            outcome.result = Result.BLOCKED if isinstance(exc, Blocked) else Result.FAILED
            where = "" if isinstance(exc, Blocked) else f"{step.statements[0]}: "
            outcome.detail = where + reason

    def build(self, conn: psycopg.Connection, action: Action, step: Step, outcome: Outcome) -> None:
        run = RunningBuild(action, step, conn.info.backend_pid, time.monotonic())
        with self.lock:
            self.running[action.name] = run
        try:
            if self.interrupted.is_set():
                outcome.result = Result.INTERRUPTED
                outcome.detail = "interrupted before the build started"
                return
            outcome.statements.append(step.statements[0])
            conn.execute("SET lock_timeout = 0")  # F9: never cut a build's waits short
            try:
                conn.execute(step.statements[0])
            finally:
                if not conn.closed:
                    conn.execute(f"SET lock_timeout = {self.sessions.lock_ms}")
            return
        except pg_errors.QueryCanceled as exc:
            self._cancelled(run, exc, outcome)
        except pg_errors.DuplicateTable as exc:  # the name was taken meanwhile: not ours
            outcome.result = Result.FAILED
            outcome.detail = f"{server_message(exc)} (created by another session since the plan)"
            return
        except psycopg.Error as exc:  # incl. deadlock victim, session terminated or lost
            outcome.result = Result.FAILED
            outcome.detail = server_message(exc)
        finally:
            with self.lock:
                self.running.pop(action.name, None)
            outcome.waits.extend(run.blockers_seen.values())
        if step.cleanup is not None:
            self.clean_up(conn, action, step.cleanup, outcome)

    def _cancelled(self, run: RunningBuild, exc: BaseException, outcome: Outcome) -> None:
        if run.cancel_requested and not self.interrupted.is_set():
            outcome.result = Result.TIMED_OUT
            outcome.detail = (
                f"build exceeded --build-timeout {self.build_timeout:g}s{run.describe_wait()}; "
                "cancelled"
            )
        elif self.interrupted.is_set():
            outcome.result = Result.INTERRUPTED
            outcome.detail = "interrupted; cancelled"
        else:
            outcome.result = Result.FAILED
            outcome.detail = f"cancelled by another session: {server_message(exc)}"

    def clean_up(
        self, conn: psycopg.Connection, action: Action, cleanup: Step, outcome: Outcome
    ) -> None:
        """The failed build's planned cleanup: drop its index while it is still INVALID."""
        session = conn
        try:
            if conn.closed or conn.broken:  # terminated, network: clean up from a fresh one
                session = self.sessions.fresh(action)
            invalid = session.execute(IS_INVALID_SQL, (cleanup.qualified,)).fetchone()
            if invalid is None or not invalid[0]:
                return
            self.short_lock(session, cleanup, outcome)
            outcome.add_detail("the invalid index was dropped")
        except (Blocked, psycopg.Error, PlintoError) as exc:  # PlintoError: cannot connect
            reason = server_message(exc) if isinstance(exc, psycopg.Error) else str(exc)
            outcome.add_detail(f"could not drop the invalid index ({reason}): the next apply will")
        finally:
            if session is not conn:
                session.close()

    def short_lock(self, conn: psycopg.Connection, step: Step, outcome: Outcome) -> None:
        """Run a short-lock step with lock_timeout, retrying on lock timeouts with jitter."""
        attempts = max(0, self.retries) + 1
        for attempt in range(attempts):
            try:
                if len(step.statements) == 1:
                    outcome.statements.append(step.statements[0])
                    conn.execute(step.statements[0])
                else:
                    with conn.transaction():
                        for statement in step.statements:
                            conn.execute(statement)
                    outcome.statements.extend(step.statements)
                return
            except pg_errors.LockNotAvailable:
                if attempt + 1 >= attempts:
                    raise Blocked(
                        f"{step.statements[0]}: could not get a lock within "
                        f"--lock-timeout {self.lock_timeout:g}s after {attempts} attempts"
                    ) from None
                delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
                time.sleep(delay * random.uniform(0.5, 1.5))

    def wait_for_other_build(
        self, conn: psycopg.Connection, action: Action, outcome: Outcome
    ) -> bool:
        """Another backend builds this index (F5): wait for its build to end.

        False when the wait ended without it (--build-timeout, Ctrl-C): `outcome` says why.
        """
        start = time.monotonic()
        announced = False
        while action.relation is not None:
            build = build_of(action.relation, read_builds(conn))
            if build is None:
                break
            if not announced:
                announced = True
                self._announce_wait(conn, action, build.pid, build.phase, outcome)
            timeout = self.build_timeout
            if timeout is not None and time.monotonic() - start > timeout:
                outcome.result = Result.TIMED_OUT
                outcome.detail = (
                    f"{action.reason}; still building after --build-timeout {timeout:g}s "
                    "(left alone: never drop an index another session is building)"
                )
                return False
            if self.interrupted.is_set():
                outcome.result = Result.INTERRUPTED
                return False
            time.sleep(WAIT_POLL_SECONDS)
        outcome.detail = f"waited {time.monotonic() - start:.1f}s for another session's build"
        return True

    def _announce_wait(
        self,
        conn: psycopg.Connection,
        action: Action,
        pid: int | None,
        phase: str | None,
        outcome: Outcome,
    ) -> None:
        who = read_blockers(conn, [pid]).get(pid) if pid else None
        if who is None:
            who = Blocker(pid or 0, None, None, None, "a build hidden by permissions")
        outcome.waits.append(who)
        self.events.waiting(action, who, f"another session's build ({phase or 'building'})")
