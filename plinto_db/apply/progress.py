"""What a running build is doing and what it waits for (pg_stat_progress_create_index, F13).

Read on a separate autocommit connection, one statement at a time, so the monitor itself
never holds a snapshot a concurrent build would have to wait for.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

# Progress of the given build backends, with the backend each one waits for (if any).
PROGRESS_SQL = """
SELECT p.pid, p.phase, p.blocks_total, p.blocks_done, p.tuples_total, p.tuples_done,
       p.lockers_total, p.lockers_done,
       CASE WHEN p.current_locker_pid > 0 THEN ARRAY[p.current_locker_pid]
            ELSE pg_catalog.pg_blocking_pids(p.pid) END AS blockers
FROM pg_catalog.pg_stat_progress_create_index p
WHERE p.pid = ANY(%(pids)s)
"""

# Backends blocking a pid that has no progress row yet (e.g. queued for the table lock).
BLOCKING_SQL = """
SELECT x.pid, pg_catalog.pg_blocking_pids(x.pid)
FROM unnest(%(pids)s::int[]) AS x(pid)
"""

BLOCKER_SQL = """
SELECT a.pid, a.state, extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)),
       a.application_name, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120), a.backend_type
FROM pg_catalog.pg_stat_activity a
WHERE a.pid = ANY(%(pids)s)
"""


@dataclass(frozen=True)
class Blocker:
    """A backend a build waits for."""

    pid: int
    state: str | None
    age_seconds: float | None
    application: str | None
    query: str | None
    backend_type: str | None = None

    def describe(self) -> str:
        age = f", {self.age_seconds:.0f}s" if self.age_seconds is not None else ""
        app = f" [{self.application}]" if self.application else ""
        query = f": {self.query}" if self.query else ""
        return f"pid {self.pid}{app} ({self.state or self.backend_type or 'unknown'}{age}){query}"

    def as_dict(self) -> dict:
        return {
            "pid": self.pid,
            "state": self.state,
            "age_seconds": round(self.age_seconds, 1) if self.age_seconds is not None else None,
            "application": self.application,
            "query": self.query,
        }


@dataclass(frozen=True)
class BuildProgress:
    pid: int
    phase: str
    blocks_total: int
    blocks_done: int
    tuples_total: int
    tuples_done: int
    lockers_total: int
    lockers_done: int
    blockers: tuple[Blocker, ...] = ()

    @property
    def waiting(self) -> bool:
        return self.phase.startswith("waiting") or bool(self.blockers)

    @property
    def fraction(self) -> float | None:
        if self.blocks_total:
            return self.blocks_done / self.blocks_total
        if self.tuples_total:
            return self.tuples_done / self.tuples_total
        return None

    def as_dict(self) -> dict:
        return {
            "phase": self.phase,
            "blocks": [self.blocks_done, self.blocks_total],
            "tuples": [self.tuples_done, self.tuples_total],
            "waiting_for": [b.as_dict() for b in self.blockers],
        }


def read_progress(conn: psycopg.Connection, pids: list[int]) -> dict[int, BuildProgress]:
    """Progress of each build pid (a pid without a row yet reports only its blockers)."""
    if not pids:
        return {}
    rows = conn.execute(PROGRESS_SQL, {"pids": pids}).fetchall()
    found = {row[0]: row for row in rows}
    missing = [pid for pid in pids if pid not in found]
    queued = {}
    if missing:
        queued = {pid: blk for pid, blk in conn.execute(BLOCKING_SQL, {"pids": missing})}
    blocker_pids = sorted(
        {p for row in rows for p in (row[8] or ())} | {p for b in queued.values() for p in b}
    )
    blockers = read_blockers(conn, blocker_pids)
    out: dict[int, BuildProgress] = {}
    for pid in pids:
        if pid in found:
            row = found[pid]
            out[pid] = BuildProgress(
                pid,
                row[1] or "",
                *(int(v or 0) for v in row[2:8]),
                tuple(blockers[p] for p in (row[8] or ()) if p in blockers),
            )
        else:
            waits = tuple(blockers[p] for p in queued.get(pid) or () if p in blockers)
            phase = "waiting for a lock on the table" if waits else "starting"
            out[pid] = BuildProgress(pid, phase, 0, 0, 0, 0, 0, 0, waits)
    return out


def read_blockers(conn: psycopg.Connection, pids: list[int]) -> dict[int, Blocker]:
    if not pids:
        return {}
    return {
        row[0]: Blocker(row[0], row[1], float(row[2]) if row[2] is not None else None, *row[3:6])
        for row in conn.execute(BLOCKER_SQL, {"pids": pids})
    }
