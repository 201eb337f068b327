"""The only place that changes the database: runs a plan's steps and reports outcomes.

Rules (research note F1-F11):
- each action runs on its own dedicated autocommit connection, one statement per
  execute(), no pipeline;
- builds run with statement_timeout = 0, lock_timeout = 0 (and transaction_timeout = 0 on
  PG17+): a short lock_timeout only turns a CIC's snapshot waits into INVALID indexes (F9).
  A build is bounded by --build-timeout instead, enforced from another connection with
  pg_cancel_backend, after which the invalid leftover is dropped concurrently;
- drops, renames and ANALYZE use a short lock_timeout, retried with bounded jittered backoff;
- at most one build per table at a time; --jobs N runs actions on different tables.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum

import psycopg
from psycopg import errors as pg_errors

from plinto_db.apply.plan import Action, ActionKind, Step, StepKind
from plinto_db.apply.progress import Blocker, BuildProgress, read_blockers, read_progress
from plinto_db.errors import PlintoError
from plinto_db.pg.connect import connect

POLL_SECONDS = 0.25
_IDLE = psycopg.pq.TransactionStatus.IDLE
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 15.0


class Result(StrEnum):
    SKIPPED = "skipped"
    DONE = "done"
    FAILED = "failed"
    TIMED_OUT = "timed-out"
    BLOCKED = "blocked"
    REFUSED = "refused"
    PLANNED = "planned"  # dry run
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class ExecOptions:
    dsn: str
    jobs: int = 1
    lock_timeout: float = 5.0
    retries: int = 5
    build_timeout: float | None = None
    application_name: str = "plinto-db apply"


@dataclass
class Outcome:
    action: Action
    result: Result
    seconds: float = 0.0
    detail: str = ""
    waits: list[Blocker] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # what actually ran
    started: float = 0.0  # wall clock (epoch seconds) when the action started

    @property
    def name(self) -> str:
        return self.action.name


@dataclass
class _Running:
    """A build the monitor watches: its backend pid and deadline."""

    action: Action
    step: Step
    pid: int
    started: float
    cancel_requested: bool = False
    progress: BuildProgress | None = None
    blockers_seen: dict[int, Blocker] = field(default_factory=dict)


class Events:
    """Callbacks for the renderer: progress bars on a TTY, notes otherwise, nothing in JSON."""

    def started(self, action: Action) -> None: ...
    def step(self, action: Action, step: Step) -> None: ...
    def progress(self, action: Action, progress: BuildProgress) -> None: ...
    def waiting(self, action: Action, blocker: Blocker, phase: str) -> None: ...
    def finished(self, outcome: Outcome) -> None: ...


class _Cancelled(Exception):
    pass


class Executor:
    def __init__(
        self,
        options: ExecOptions,
        events: Events | None = None,
        replan: Callable[[Action], Action] | None = None,
    ):
        self.options = options
        self.events = events or Events()
        self.replan = replan
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._interrupted = threading.Event()
        self._reported: set[int] = set()
        self._idle: list[psycopg.Connection] = []
        self._lock_ms = int(options.lock_timeout * 1000)

    # -- scheduling -------------------------------------------------------------------------

    def run(self, actions: tuple[Action, ...]) -> list[Outcome]:
        """Run every action; at most one per table at a time, at most `jobs` building at once.

        An action whose builds are done and only its ANALYZE remains stops counting against
        `jobs` (its table stays reserved): statistics do not delay the next build.
        """
        jobs = max(1, self.options.jobs)
        outcomes: dict[int, Outcome] = {}
        pending = list(enumerate(actions))
        busy_tables: set[int] = set()
        futures: dict[Future, tuple[int, Action]] = {}
        light: dict[Future, Future] = {}  # action future -> "only light steps remain"
        monitor = connect(
            self.options.dsn, application_name=f"{self.options.application_name} (monitor)"
        )
        pool = ThreadPoolExecutor(max_workers=jobs * 2)
        last_monitor = 0.0
        try:
            while pending or futures:
                building = sum(1 for f in futures if not light[f].done())
                for item in self._next_candidates(pending, analyzing=building < len(futures)):
                    if building >= jobs:
                        break
                    index, action = item
                    if action.table_oid in busy_tables:
                        continue
                    pending.remove(item)
                    busy_tables.add(action.table_oid)
                    signal: Future = Future()
                    future = pool.submit(self._run_action, action, signal)
                    futures[future] = item
                    light[future] = signal
                    building += 1
                waiting_on = list(futures) + [s for s in light.values() if not s.done()]
                done, _ = wait(waiting_on, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                finished = [f for f in done if f in futures]
                for future in finished:
                    index, action = futures.pop(future)
                    light.pop(future)
                    busy_tables.discard(action.table_oid)
                    outcomes[index] = future.result()
                if finished and pending:
                    continue  # start the next build first; bookkeeping can wait a moment
                for index in sorted(i for i in outcomes if i not in self._reported):
                    self._reported.add(index)
                    self.events.finished(outcomes[index])
                if time.monotonic() - last_monitor >= POLL_SECONDS:
                    last_monitor = time.monotonic()
                    self._monitor(monitor)
            for index in sorted(i for i in outcomes if i not in self._reported):
                self._reported.add(index)
                self.events.finished(outcomes[index])
        except KeyboardInterrupt:
            # Ctrl-C: cancel the running builds (each drops its invalid index), start
            # nothing more, and report every action, so the run ends with its report,
            # its ledger entries and exit code 1 rather than a bare interrupt.
            self._interrupted.set()
            self._cancel_all(monitor)
            for future, (index, _action) in futures.items():
                outcomes[index] = future.result()
            for index, action in pending:
                outcomes[index] = Outcome(
                    action,
                    Result.INTERRUPTED,
                    detail="interrupted before it started",
                    started=time.time(),
                )
            for index in sorted(i for i in outcomes if i not in self._reported):
                self._reported.add(index)
                self.events.finished(outcomes[index])
        finally:
            pool.shutdown(wait=True)
            monitor.close()
            self.close()
        return [outcomes[i] for i in sorted(outcomes)]

    @staticmethod
    def _next_candidates(
        pending: list[tuple[int, Action]], *, analyzing: bool
    ) -> list[tuple[int, Action]]:
        """Catalog order; while an ANALYZE runs, the biggest table first.

        Every CREATE INDEX CONCURRENTLY ends by waiting for older snapshots, the ANALYZE's
        among them: a short build would sit out the ANALYZE, a long one overlaps it.
        """
        if not analyzing:
            return list(pending)
        return sorted(pending, key=lambda item: -item[1].table_pages)

    def _monitor(self, monitor: psycopg.Connection) -> None:
        with self._lock:
            running = list(self._running.values())
        if not running:
            return
        progress = read_progress(monitor, [r.pid for r in running])
        now = time.monotonic()
        for run in running:
            current = progress.get(run.pid)
            if current is not None:
                run.progress = current
                self.events.progress(run.action, current)
                for blocker in current.blockers:
                    if blocker.pid not in run.blockers_seen:
                        run.blockers_seen[blocker.pid] = blocker
                        self.events.waiting(run.action, blocker, current.phase)
            timeout = self.options.build_timeout
            if timeout is not None and not run.cancel_requested and now - run.started > timeout:
                run.cancel_requested = True
                monitor.execute("SELECT pg_catalog.pg_cancel_backend(%s)", (run.pid,))

    def _cancel_all(self, monitor: psycopg.Connection) -> None:
        with self._lock:
            running = list(self._running.values())
        if not running:
            return
        for run in running:
            run.cancel_requested = True
        pids = [run.pid for run in running]
        try:  # the interrupt may have hit the monitor mid-query: then use a fresh session
            monitor.execute(
                "SELECT pg_catalog.pg_cancel_backend(p) FROM unnest(%s::int[]) p", (pids,)
            )
        except psycopg.Error:
            with (
                contextlib.suppress(PlintoError),
                connect(self.options.dsn, application_name=self.options.application_name) as c,
            ):
                c.execute(
                    "SELECT pg_catalog.pg_cancel_backend(p) FROM unnest(%s::int[]) p", (pids,)
                )

    # -- one action -------------------------------------------------------------------------

    def _run_action(self, action: Action, light: Future | None = None) -> Outcome:
        start = time.monotonic()
        outcome = Outcome(action, Result.DONE, started=time.time())
        self.events.started(action)
        conn = None
        try:
            conn = self._session(action)
            if action.kind == ActionKind.WAIT:
                action = self._wait_then_replan(conn, action, outcome)
                outcome.action = action
                if action.kind in (ActionKind.SKIP, ActionKind.REFUSE_DRIFTED):
                    outcome.result = (
                        Result.SKIPPED if action.kind == ActionKind.SKIP else Result.REFUSED
                    )
                    outcome.detail = action.reason or outcome.detail
            for number, step in enumerate(action.steps):
                if outcome.result != Result.DONE:
                    break
                rest = action.steps[number:]
                if light is not None and all(s.kind == StepKind.ANALYZE for s in rest):
                    _signal(light)
                self.events.step(action, step)
                self._run_step(conn, action, step, outcome)
        except psycopg.OperationalError as exc:
            outcome.result = Result.FAILED
            outcome.detail = _message(exc)
        finally:
            if conn is not None:
                self._release(conn, reusable=outcome.result == Result.DONE)
        outcome.seconds = time.monotonic() - start
        return outcome

    def _session(self, action: Action) -> psycopg.Connection:
        """A DDL session used by one action at a time: reused after a clean action (a fresh
        backend has cold catalog caches), replaced after any failure or cancel."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed or conn.info.transaction_status != _IDLE:
            conn = connect(self.options.dsn, application_name=self._app_name(action))
            self._configure(conn)
        else:
            conn.execute(
                "SELECT pg_catalog.set_config('application_name', %s, false)",
                (self._app_name(action),),
            )
        return conn

    def _release(self, conn: psycopg.Connection, *, reusable: bool) -> None:
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

    def _run_step(
        self, conn: psycopg.Connection, action: Action, step: Step, outcome: Outcome
    ) -> None:
        if step.kind == StepKind.BUILD:
            self._build(conn, action, step, outcome)
        elif step.kind == StepKind.ANALYZE:
            try:
                self._short_lock(conn, step, outcome)
            except _Blocked as exc:  # statistics come later from autovacuum: not a failure
                outcome.detail = f"ANALYZE skipped ({exc}); autovacuum will analyze later"
        else:
            try:
                self._short_lock(conn, step, outcome)
            except _Blocked as exc:
                outcome.result = Result.BLOCKED
                outcome.detail = str(exc)
            except psycopg.Error as exc:
                outcome.result = Result.FAILED
                outcome.detail = f"{step.statements[0]}: {_message(exc)}"

    def _build(self, conn: psycopg.Connection, action: Action, step: Step, outcome: Outcome):
        pid = conn.info.backend_pid
        run = _Running(action, step, pid, time.monotonic())
        with self._lock:
            self._running[action.name] = run
        try:
            if self._interrupted.is_set():
                raise _Cancelled()
            outcome.statements.append(step.statements[0])
            conn.execute("SET lock_timeout = 0")  # F9: never cut a build's waits short
            try:
                conn.execute(step.statements[0])
            finally:
                if not conn.closed:
                    conn.execute(f"SET lock_timeout = {self._lock_ms}")
            return
        except pg_errors.QueryCanceled as exc:
            if run.cancel_requested and not self._interrupted.is_set():
                outcome.result = Result.TIMED_OUT
                waited = _describe_wait(run)
                outcome.detail = (
                    f"build exceeded --build-timeout {self.options.build_timeout:g}s{waited}; "
                    "cancelled"
                )
            elif self._interrupted.is_set():
                outcome.result = Result.INTERRUPTED
                outcome.detail = "interrupted; cancelled"
            else:
                outcome.result = Result.FAILED
                outcome.detail = f"cancelled by another session: {_message(exc)}"
        except _Cancelled:
            outcome.result = Result.INTERRUPTED
            outcome.detail = "interrupted before the build started"
            return
        except pg_errors.DuplicateTable as exc:  # the name was taken meanwhile: not ours
            outcome.result = Result.FAILED
            outcome.detail = f"{_message(exc)} (created by another session since the plan)"
            return
        except psycopg.Error as exc:  # incl. deadlock victim, session terminated or lost
            outcome.result = Result.FAILED
            outcome.detail = _message(exc)
        finally:
            with self._lock:
                self._running.pop(action.name, None)
            outcome.waits.extend(run.blockers_seen.values())
        # the build failed or was cancelled: never leave its INVALID index behind (F3);
        # when its session is gone (terminated, network), clean up from a fresh one
        drop = Step(
            StepKind.DROP,
            (f"DROP INDEX CONCURRENTLY IF EXISTS {step.qualified}",),
            step.index,
            step.qualified,
        )
        cleanup = conn
        try:
            if conn.closed or conn.broken:
                cleanup = connect(self.options.dsn, application_name=self._app_name(action))
                self._configure(cleanup)
            # only an INVALID index is this build's leftover: a valid one of that name (the
            # build failed with "already exists" after someone else created it) is not ours
            invalid = cleanup.execute(
                "SELECT NOT i.indisvalid FROM pg_catalog.pg_index i "
                "WHERE i.indexrelid = pg_catalog.to_regclass(%s)",
                (step.qualified,),
            ).fetchone()
            if invalid is None or not invalid[0]:
                return
            self._short_lock(cleanup, drop, outcome)
            outcome.detail += "; the invalid index was dropped"
        except (_Blocked, psycopg.Error, PlintoError) as exc:  # PlintoError: cannot connect
            reason = _message(exc) if isinstance(exc, psycopg.Error) else str(exc)
            outcome.detail += f"; could not drop the invalid index ({reason}): the next apply will"
        finally:
            if cleanup is not conn:
                cleanup.close()

    def _short_lock(self, conn: psycopg.Connection, step: Step, outcome: Outcome) -> None:
        """Run a short-lock step with lock_timeout, retrying on lock timeouts with jitter."""
        attempts = max(0, self.options.retries) + 1
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
                    raise _Blocked(
                        f"{step.statements[0]}: could not get a lock within "
                        f"--lock-timeout {self.options.lock_timeout:g}s after {attempts} attempts"
                    ) from None
                delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
                time.sleep(delay * random.uniform(0.5, 1.5))

    def _wait_then_replan(
        self, conn: psycopg.Connection, action: Action, outcome: Outcome
    ) -> Action:
        """Another backend builds this index: wait for it to end, then decide again (F5)."""
        start = time.monotonic()
        announced = False
        while True:
            row = conn.execute(
                "SELECT p.pid, p.phase FROM pg_catalog.pg_stat_progress_create_index p "
                "JOIN pg_catalog.pg_class c ON c.oid = p.index_relid OR c.oid = p.relid "
                "WHERE c.relname = %s LIMIT 1",
                (action.name,),
            ).fetchone()
            building = row is not None or _hidden_builds(conn)
            if not building:
                break
            if not announced:
                announced = True
                pid = row[0] if row is not None else None
                who = read_blockers(conn, [pid]).get(pid) if pid else None
                if who is None:
                    who = Blocker(pid or 0, None, None, None, "a build hidden by permissions")
                outcome.waits.append(who)
                phase = row[1] if row is not None and row[1] else "building"
                self.events.waiting(action, who, f"another session's build ({phase})")
            timeout = self.options.build_timeout
            if timeout is not None and time.monotonic() - start > timeout:
                outcome.result = Result.TIMED_OUT
                outcome.detail = (
                    f"{action.reason}; still building after --build-timeout {timeout:g}s "
                    "(left alone: never drop an index another session is building)"
                )
                return action
            if self._interrupted.is_set():
                outcome.result = Result.INTERRUPTED
                return action
            time.sleep(1.0)
        outcome.detail = f"waited {time.monotonic() - start:.1f}s for another session's build"
        if self.replan is None:
            return action
        return self.replan(action)

    # -- sessions ---------------------------------------------------------------------------

    def _configure(self, conn: psycopg.Connection) -> None:
        """Session settings, one statement each (never a multi-statement string, F1)."""
        lock_ms = int(self.options.lock_timeout * 1000)
        conn.execute("SET statement_timeout = 0")
        conn.execute("SET idle_in_transaction_session_timeout = 0")
        if conn.info.server_version >= 170000:
            conn.execute("SET transaction_timeout = 0")
        if conn.info.server_version >= 140000:
            # a killed apply must not leave its build running on: the server notices
            conn.execute("SET client_connection_check_interval = '2s'")
        conn.execute(f"SET lock_timeout = {lock_ms}")
        self._lock_ms = lock_ms

    def _app_name(self, action: Action) -> str:
        return f"{self.options.application_name}: {action.kind} {action.name}"[:63]


class _Blocked(Exception):
    pass


def _signal(future: Future) -> None:
    if not future.done():
        future.set_result(None)


def _hidden_builds(conn: psycopg.Connection) -> bool:
    """A build whose details we may not see (another role, no pg_read_all_stats)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_catalog.pg_stat_progress_create_index "
        "WHERE relid IS NULL AND pid <> pg_catalog.pg_backend_pid()"
    ).fetchone()
    return bool(row[0])


def _describe_wait(run: _Running) -> str:
    phase = f" in phase '{run.progress.phase}'" if run.progress else ""
    if run.blockers_seen:
        who = "; ".join(b.describe() for b in run.blockers_seen.values())
        return f"{phase}, waiting for {who}"
    return phase


def _message(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    lines = str(exc).strip().splitlines()
    text = primary or (lines[0] if lines else type(exc).__name__)
    detail = getattr(diag, "message_detail", None) if diag is not None else None
    return f"{text} ({detail})" if detail else text
