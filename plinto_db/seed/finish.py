"""After the rows are in: VACUUM (ANALYZE) or ANALYZE, two tables at a time."""

from __future__ import annotations

from collections.abc import Sequence

from plinto_db.errors import UserError
from plinto_db.pg.messages import server_message
from plinto_db.seed.checks import LOCK_TIMEOUT


def finish(dsn: str, names: Sequence[str], *, vacuum: bool) -> None:
    import psycopg

    try:
        finish_tables(dsn, names, vacuum=vacuum)
    except psycopg.Error as exc:
        step = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        raise UserError(
            f"the rows are in, but {step} of the seed tables failed: "
            f"{server_message(exc, detail=False)}; run it again before relying on plans"
        ) from None


def finish_tables(dsn: str, names: Sequence[str], *, vacuum: bool = True, workers: int = 2) -> None:
    """VACUUM (ANALYZE) (or ANALYZE) each table, on `workers` connections at once.

    The tables are handed out largest first, so the two server processes finish together.
    """
    import threading

    from psycopg import sql

    from plinto_db.pg.connect import connect

    statement = sql.SQL("VACUUM (ANALYZE) {}" if vacuum else "ANALYZE {}")
    connections = [connect(dsn) for _ in range(max(1, workers))]
    for conn in connections:  # never wait forever behind another session's lock
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        sizes = dict(
            connections[0]
            .execute(
                "SELECT t, pg_relation_size(to_regclass(quote_ident(t))) "
                "FROM unnest(%s::text[]) AS t",
                (list(names),),
            )
            .fetchall()
        )
        queue = sorted(names, key=lambda name: -sizes[name])
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work(conn) -> None:
            while True:
                with lock:
                    if not queue or errors:
                        return
                    name = queue.pop(0)
                try:
                    conn.execute(statement.format(sql.Identifier(name)))
                except BaseException as exc:  # re-raised in the caller's thread
                    errors.append(exc)
                    return

        threads = [threading.Thread(target=work, args=(c,)) for c in connections]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
    finally:
        for conn in connections:
            conn.close()
