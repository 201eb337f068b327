"""Without a terminal apply says one line per event, in the order things happened: with
--jobs 1 an action's `done` comes before the next action's start, never after it."""

from __future__ import annotations

import re


def test_piped_progress_follows_the_order_of_events(run_cli, new_db):
    dsn = new_db("schema")
    done = run_cli("apply", "--dsn", dsn, "--table", "users", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    events = [
        line.removeprefix("plinto-db: ")
        for line in done.stderr.splitlines()
        if not line.startswith("plinto-db: using ")
    ]
    running = None
    for event in events:
        started = re.match(r"create (\S+) on ", event)
        if started:
            assert running is None, f"{started.group(1)} started while {running} ran: {events}"
            running = started.group(1)
            continue
        name, _, what = event.partition(": ")
        assert name == running, events
        if what.startswith("done in "):
            running = None
        else:
            assert what == "analyze public.users", events  # the expression index's step
    assert running is None
    assert sum(e.startswith("create ") for e in events) == 6
