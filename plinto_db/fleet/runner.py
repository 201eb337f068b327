"""Running one job on many targets, in one process: at most `parallel` at a time, never two
on one database, the canary first, and Ctrl-C handled as the single command handles it.

Each target runs on a thread of its own. Ctrl-C reaches the main thread only, so the
runner raises KeyboardInterrupt in each running target's thread (once): the use case sees
it exactly as it sees a Ctrl-C when it runs alone (apply cancels its builds, drops their
invalid indexes, records them in its ledger and returns its report).
"""

from __future__ import annotations

import ctypes
import queue
import threading
import time
from dataclasses import dataclass, field

from plinto_db.errors import ExitCode, PlintoError
from plinto_db.fleet.jobs import Job
from plinto_db.fleet.model import Finished, FleetRun, Standing, TargetRun, standing_of, worst
from plinto_db.fleet.output import LiveLines
from plinto_db.fleet.targets import Resolved

DEFAULT_PARALLEL = 4
REAP_SECONDS = 0.5  # how often a thread that ended without saying so is looked for


@dataclass(frozen=True)
class FleetOptions:
    parallel: int = DEFAULT_PARALLEL
    canary: int = 0
    fail_fast: bool = False


@dataclass
class _Slot:
    target: Resolved
    run: TargetRun
    thread: threading.Thread | None = None
    began: bool = False
    interruptible: bool = False
    injected: bool = False
    reaped: bool = False


@dataclass
class Runner:
    job: Job
    targets: tuple[Resolved, ...]
    options: FleetOptions
    lines: LiveLines
    canary_check: Job | None = None
    stopped: str | None = None
    interrupted: bool = False
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _done: queue.Queue = field(default_factory=queue.Queue)
    _busy: set[tuple[str, ...]] = field(default_factory=set)

    def run(self) -> FleetRun:
        started = time.monotonic()
        runs = [TargetRun(t.name, t.target.role) for t in self.targets]
        slots = [_Slot(t, r) for t, r in zip(self.targets, runs, strict=True)]
        runnable = [s for s in slots if not (self.job.writes and s.target.target.replica)]
        for slot in slots:
            if slot not in runnable:
                self._skip_replica(slot)
        canaries, rest = runnable[: self.options.canary], runnable[self.options.canary :]
        for slot in canaries:
            slot.run.canary = True
        self._run_group(canaries)
        try:
            self._judge_canary(canaries)
        except KeyboardInterrupt:
            self._interrupt([])
        self._run_group(rest)
        for slot in slots:
            if slot.run.standing is Standing.NOT_STARTED:
                slot.run.detail = self.stopped or "not started"
        return FleetRun(self.job.command, runs, self.stopped, time.monotonic() - started)

    def _skip_replica(self, slot: _Slot) -> None:
        slot.run.standing = Standing.SKIPPED
        slot.run.exit_code = int(ExitCode.OK)
        slot.run.detail = f"replica: {self.job.command} skips a read-only server"
        sink = self.lines.sink(slot.target.name)
        sink.say(f"skipped: {slot.run.detail}")
        sink.close()

    def _judge_canary(self, canaries: list[_Slot]) -> None:
        failed = [s.target.name for s in canaries if s.run.exit_code != ExitCode.OK]
        if canaries and failed and not self.stopped:
            self.stopped = f"not touched: the canary failed on {', '.join(failed)}"
            self.lines.fleet(
                f"the canary failed on {', '.join(failed)}: the other targets stay untouched"
            )
        elif canaries and not self.stopped:
            self.lines.fleet(f"the canary passed on {', '.join(s.target.name for s in canaries)}")

    def _run_group(self, group: list[_Slot]) -> None:
        pending = list(group)
        active: list[_Slot] = []
        while True:
            try:
                while (pending and not self.stopped) or active:
                    self._start_some(pending, active)
                    self._reap(self._next_done(), active)
                return
            except KeyboardInterrupt:  # wherever it lands, the loop goes on to settle
                self._interrupt(active)

    def _start_some(self, pending: list[_Slot], active: list[_Slot]) -> None:
        while not self.stopped and len(active) < self.options.parallel:
            slot = next((s for s in pending if database_key(s.target.dsn) not in self._busy), None)
            if slot is None:
                return
            # in this order, a Ctrl-C between two steps leaves no slot that is never reaped
            slot.thread = threading.Thread(target=self._thread_main, args=(slot,), daemon=True)
            pending.remove(slot)
            self._busy.add(database_key(slot.target.dsn))
            active.append(slot)
            slot.thread.start()

    def _next_done(self) -> _Slot | None:
        try:
            return self._done.get(timeout=REAP_SECONDS)
        except queue.Empty:
            return None

    def _reap(self, said: _Slot | None, active: list[_Slot]) -> None:
        ended = [said] if said is not None else []
        ended += [s for s in active if s.thread is not None and not s.thread.is_alive()]
        for slot in ended:
            if slot.reaped or slot not in active:
                continue
            slot.reaped = True
            active.remove(slot)
            self._busy.discard(database_key(slot.target.dsn))
            if slot.run.standing is Standing.NOT_STARTED and slot.began:
                slot.run.standing = Standing.INTERRUPTED  # ended before it could say how
                slot.run.exit_code = int(ExitCode.FAILED)
                slot.run.detail = "interrupted"
            failed = slot.run.exit_code not in (None, ExitCode.OK)
            if failed and self.options.fail_fast and not self.stopped:
                self.stopped = f"not started: --fail-fast after {slot.target.name} failed"
                self.lines.fleet(f"{slot.target.name} failed: --fail-fast starts no other target")

    def _interrupt(self, active: list[_Slot]) -> None:
        if self.interrupted:
            self.lines.fleet(f"stopping: waiting for {len(active)} running target(s) to clean up")
            return
        self.interrupted = True
        self.stopped = "not started: interrupted (Ctrl-C)"
        self.lines.fleet(
            f"interrupted: {len(active)} running target(s) stop and clean up; no other starts"
        )
        with self._guard:
            for slot in active:
                if slot.interruptible and not slot.injected and slot.thread is not None:
                    slot.injected = True
                    _raise_in(slot.thread, KeyboardInterrupt)

    def _thread_main(self, slot: _Slot) -> None:
        try:
            try:
                with self._guard:
                    slot.began = not self.interrupted
                    slot.interruptible = slot.began
                if slot.began:
                    self._work(slot)
            finally:
                with self._guard:
                    slot.interruptible = False
                self._done.put(slot)
        except KeyboardInterrupt:  # it came once the work was over: nothing left to stop
            self._done.put(slot)

    def _work(self, slot: _Slot) -> None:
        sink = self.lines.sink(slot.target.name)
        started = time.monotonic()
        run = slot.run
        sink.say(f"{self.job.command} on {_describe(slot.target.dsn)}")
        try:
            finished = _finish(self.job, slot.target.dsn, sink)
            check = self.canary_check if run.canary and not self.interrupted else None
            if finished.exit_code == ExitCode.OK and check is not None:
                sink.say("canary: check")
                run.check = _finish(check, slot.target.dsn, sink)
            _record(run, finished, interrupted=slot.injected)
            run.seconds = time.monotonic() - started
            sink.say(f"{run.standing} in {run.seconds:.1f}s: {run.error or run.detail}")
        finally:
            sink.close()


def _finish(job: Job, dsn: str, sink) -> Finished:
    """The job's end on one target; its error as the single command would say it (the
    target's last line says it)."""
    try:
        return job.run(dsn, sink)
    except KeyboardInterrupt:
        return Finished(int(ExitCode.FAILED), error="interrupted (Ctrl-C)")
    except PlintoError as exc:
        return Finished(int(exc.exit_code), error=exc.message)
    except Exception as exc:  # a bug must not stop the other targets
        message = f"internal error: {type(exc).__name__}: {exc}"
        return Finished(int(ExitCode.FAILED), error=message)


def _record(run: TargetRun, finished: Finished, *, interrupted: bool) -> None:
    codes = [finished.exit_code] + ([run.check.exit_code] if run.check else [])
    run.exit_code = worst(codes)
    cut_short = interrupted and run.exit_code != ExitCode.OK
    run.standing = Standing.INTERRUPTED if cut_short else standing_of(run.exit_code)
    run.server = finished.server
    run.document = finished.document
    run.error = finished.error
    run.detail = finished.detail
    if run.check is not None:
        checked = run.check.error or run.check.detail
        run.detail = f"{run.detail}; canary check: {checked}"
        run.error = run.error or run.check.error


def database_key(dsn: str) -> tuple[str, ...]:
    """Which database a DSN reaches (host, port, name): never two runs on one at a time."""
    import os

    from plinto_db.pg.connect import parse_dsn

    params = parse_dsn(dsn)
    host = params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST", "")
    port = params.get("port") or os.environ.get("PGPORT", "5432")
    user = params.get("user") or os.environ.get("PGUSER", "")
    dbname = params.get("dbname") or os.environ.get("PGDATABASE") or user
    return (host, port, dbname)


def _describe(dsn: str) -> str:
    from plinto_db.pg.connect import describe

    return describe(dsn)


def _raise_in(thread: threading.Thread, exception: type[BaseException]) -> None:
    """What a signal does to the main thread, done to another thread: the exception is
    raised there at its next Python instruction."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exception)
        )
