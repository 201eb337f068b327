"""The ledger keeps its record when a Ctrl-C cut a write short and left the control
connection busy: the next write goes through a fresh connection, never an internal error."""

from __future__ import annotations

import time
import uuid

import psycopg

from plinto_db.apply import ledger
from plinto_db.apply.actions import Action, ActionKind, State
from plinto_db.apply.outcome import Events, Outcome, Result
from plinto_db.pg.connect import connect, idle


def test_a_busy_control_connection_does_not_lose_the_ledger_record(new_db):
    dsn = new_db("empty")
    control = connect(dsn)
    try:
        ledger.ensure(control)
        recorder = ledger.LedgerEvents(Events(), control, uuid.uuid4(), "18.0")
        control.pgconn.send_query(b"SELECT pg_catalog.pg_sleep(0.5)")  # a write cut short
        assert not idle(control)
        action = Action("idx_x", "public.t", ActionKind.CREATE, State.MISSING)
        outcome = Outcome(action, Result.INTERRUPTED, statements=["CREATE INDEX ..."])
        outcome.started = time.time()
        recorder.finished(outcome)
        assert recorder.writer() is recorder.spare and recorder.spare is not None
        recorder.close()
        assert recorder.spare.closed
    finally:
        control.close()
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT index_name, outcome FROM plinto_db.apply_ledger").fetchall()
    assert rows == [("idx_x", "interrupted")]
