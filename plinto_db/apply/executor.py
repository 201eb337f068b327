"""The only place that changes the database: schedules a plan's actions and watches them.

- each action runs on a DDL session of its own (sessions.py), one step after another
  (steps.py), exactly as the plan wrote them;
- at most one action per table at a time; --jobs N builds on different tables at once; an
  action with only its optional ANALYZE left stops counting against --jobs;
- a monitor connection polls pg_stat_progress_create_index (F13) for progress and what
  each build waits for, and cancels a build past --build-timeout with pg_cancel_backend;
- Ctrl-C cancels the running builds (each drops its invalid index), starts nothing more
  and reports every action, so the run ends with its report and ledger entries.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import psycopg

from plinto_db.apply.actions import Action, ActionKind
from plinto_db.apply.outcome import Events, Outcome, Result
from plinto_db.apply.progress import read_progress
from plinto_db.apply.sessions import DdlSessions
from plinto_db.apply.steps import StepRunner
from plinto_db.errors import PlintoError
from plinto_db.pg.connect import connect
from plinto_db.pg.messages import server_message

POLL_SECONDS = 0.25
CANCEL_SQL = "SELECT pg_catalog.pg_cancel_backend(p) FROM unnest(%s::int[]) p"


@dataclass(frozen=True)
class ExecOptions:
    dsn: str
    jobs: int = 1
    lock_timeout: float = 5.0
    retries: int = 5
    build_timeout: float | None = None
    application_name: str = "plinto-db apply"


@dataclass
class _Slot:
    """A running action: its index in the plan, and a signal set once only optional
    steps remain (its table stays reserved, but it no longer counts as a build)."""

    index: int
    action: Action
    light: Future


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
        self.sessions = DdlSessions(options.dsn, options.application_name, options.lock_timeout)
        self.steps = StepRunner(
            self.sessions,
            self.events,
            lock_timeout=options.lock_timeout,
            retries=options.retries,
            build_timeout=options.build_timeout,
        )
        self._outcomes: dict[int, Outcome] = {}
        self._finished: list[int] = []  # finished, not yet reported
        self._futures: dict[int, Future] = {}  # every action started, by its place in the plan
        self._creates: dict[str, int] = {}  # target index -> the action creating it

    def run(self, actions: tuple[Action, ...]) -> list[Outcome]:
        """Run every action; at most one per table at a time, at most `jobs` building at once."""
        pending = list(enumerate(actions))
        self._creates = {a.target: i for i, a in pending if a.target}
        running: dict[Future, _Slot] = {}
        monitor = connect(
            self.options.dsn, application_name=f"{self.options.application_name} (monitor)"
        )
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.jobs) * 2)
        try:
            self._schedule(pending, running, pool, monitor)
        except KeyboardInterrupt:
            self.steps.interrupted.set()
            self._cancel_all(monitor)
            self._settle(actions)
        finally:
            pool.shutdown(wait=True)
            monitor.close()
            self.sessions.close()
        return [self._outcomes[i] for i in range(len(actions))]

    def _settle(self, actions: tuple[Action, ...]) -> None:
        """After Ctrl-C: an outcome for every action, wherever the interrupt landed.

        A started action ends on its own (its build was cancelled); one that never started,
        or whose bookkeeping the interrupt cut short before it started, is `interrupted`.
        """
        for index, action in enumerate(actions):
            if index in self._outcomes:
                continue
            future = self._futures.get(index)
            if future is not None:
                self._outcomes[index] = future.result()
            else:
                self._outcomes[index] = Outcome(
                    action,
                    Result.INTERRUPTED,
                    detail="interrupted before it started",
                    started=time.time(),
                )
            self._finished.append(index)
        self._report_finished()

    def _schedule(
        self,
        pending: list[tuple[int, Action]],
        running: dict[Future, _Slot],
        pool: ThreadPoolExecutor,
        monitor: psycopg.Connection,
    ) -> None:
        jobs = max(1, self.options.jobs)
        last_monitor = 0.0
        while pending or running:
            building = sum(1 for slot in running.values() if not slot.light.done())
            busy = {slot.action.table_oid for slot in running.values()}
            for index, action in scheduling_order(pending, analyzing=building < len(running)):
                if building >= jobs:
                    break
                if action.table_oid in busy:
                    continue
                missing = self._unmet(action, index)
                if missing == "wait":
                    continue
                pending.remove((index, action))
                if missing:
                    self._not_run(index, action, missing)
                    continue
                busy.add(action.table_oid)
                light: Future = Future()
                future = pool.submit(self._run_action, action, light)
                self._futures[index] = future
                running[future] = _Slot(index, action, light)
                building += 1
            if time.monotonic() - last_monitor >= POLL_SECONDS:
                last_monitor = time.monotonic()
                self._monitor(monitor)
            waiting_on = [*running, *(s.light for s in running.values() if not s.light.done())]
            done, _ = wait(waiting_on, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in [future for future in done if future in running]:
                index = running.pop(future).index
                self._outcomes[index] = future.result()
                self._finished.append(index)
            # said before the next action starts: the lines follow the order things happened
            self._report_finished()

    def _unmet(self, action: Action, index: int) -> str:
        """ "" when what `action` needs exists, "wait" while it is being made, else why it
        will not be (the action creating it did not succeed)."""
        for target in action.needs:
            maker = self._creates.get(target)
            if maker is None or maker == index:
                continue  # it existed when planned
            outcome = self._outcomes.get(maker)
            if outcome is None:
                return "wait"
            if outcome.result != Result.DONE:
                return f"not run: {target} was not created ({outcome.result})"
        return ""

    def _not_run(self, index: int, action: Action, why: str) -> None:
        self._outcomes[index] = Outcome(action, Result.SKIPPED, detail=why, started=time.time())
        self._finished.append(index)

    def _report_finished(self) -> None:
        """Each finished action once, in the order they finished."""
        while self._finished:
            self.events.finished(self._outcomes[self._finished.pop(0)])

    def _monitor(self, monitor: psycopg.Connection) -> None:
        with self.steps.lock:
            running = list(self.steps.running.values())
        if not running:
            return
        progress = read_progress(monitor, [r.pid for r in running])
        now = time.monotonic()
        timeout = self.options.build_timeout
        for run in running:
            current = progress.get(run.pid)
            if current is not None:
                run.progress = current
                self.events.progress(run.action, current)
                for blocker in current.blockers:
                    if blocker.pid not in run.blockers_seen:
                        run.blockers_seen[blocker.pid] = blocker
                        self.events.waiting(run.action, blocker, current.phase)
            if timeout is not None and not run.cancel_requested and now - run.started > timeout:
                run.cancel_requested = True
                monitor.execute("SELECT pg_catalog.pg_cancel_backend(%s)", (run.pid,))

    def _cancel_all(self, monitor: psycopg.Connection) -> None:
        with self.steps.lock:
            running = list(self.steps.running.values())
        if not running:
            return
        for run in running:
            run.cancel_requested = True
        pids = [run.pid for run in running]
        try:  # the interrupt may have hit the monitor mid-query: then use a fresh session
            monitor.execute(CANCEL_SQL, (pids,))
        except psycopg.Error:
            with (
                contextlib.suppress(PlintoError),
                connect(self.options.dsn, application_name=self.options.application_name) as c,
            ):
                c.execute(CANCEL_SQL, (pids,))

    def _run_action(self, action: Action, light: Future) -> Outcome:
        start = time.monotonic()
        outcome = Outcome(action, Result.DONE, started=time.time())
        self.events.started(action)
        conn = None
        try:
            conn = self.sessions.acquire(action)
            if action.kind == ActionKind.WAIT:
                action = self._after_wait(conn, action, outcome)
            for number, step in enumerate(action.steps):
                if outcome.result != Result.DONE:
                    break
                if all(later.optional for later in action.steps[number:]):
                    _signal(light)
                self.events.step(action, step)
                self.steps.run(conn, action, step, outcome)
        except psycopg.OperationalError as exc:
            outcome.result = Result.FAILED
            outcome.detail = server_message(exc)
        finally:
            _signal(light)
            if conn is not None:
                self.sessions.release(conn, reusable=outcome.result == Result.DONE)
        outcome.seconds = time.monotonic() - start
        return outcome

    def _after_wait(self, conn: psycopg.Connection, action: Action, outcome: Outcome) -> Action:
        """Wait out another session's build, then do what the plan says for the new state."""
        if not self.steps.wait_for_other_build(conn, action, outcome) or self.replan is None:
            return action  # a WAIT has no steps: the outcome says how the wait ended
        planned = self.replan(action)
        outcome.action = planned
        if planned.kind == ActionKind.SKIP:
            outcome.result = Result.SKIPPED
        elif planned.kind == ActionKind.REFUSE_DRIFTED:
            outcome.result = Result.REFUSED
        if planned.reason and outcome.result != Result.DONE:
            outcome.detail = planned.reason
        return planned


def scheduling_order(
    pending: list[tuple[int, Action]], *, analyzing: bool
) -> list[tuple[int, Action]]:
    """Catalog order; while an ANALYZE runs, the biggest table first.

    Every CREATE INDEX CONCURRENTLY ends by waiting for older snapshots (F8), the ANALYZE's
    among them: a short build would sit out the ANALYZE, a long one overlaps it.
    """
    if not analyzing:
        return list(pending)
    return sorted(pending, key=lambda item: -item[1].table_pages)


def _signal(future: Future) -> None:
    if not future.done():
        future.set_result(None)
