"""The DSN forms users write resolve to the same server: a `postgres+driver://` URL in
$DATABASE_URL and the equivalent key=value string."""

from __future__ import annotations

from plinto_db.pg.connect import describe
from plinto_db.settings import resolve_target


def test_postgres_scheme_and_key_value_forms_resolve_alike(monkeypatch):
    monkeypatch.delenv("PLINTO_DB_DSN", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres+psycopg2://bob:pw@db.example:6543/app")
    target = resolve_target(None)
    assert target.dsn == "postgres://bob:pw@db.example:6543/app"
    assert describe(target.dsn) == "db.example:6543, database 'app', user 'bob'"
    kv = "host=db.example port=6543 dbname=app user=bob password=pw"
    assert describe(kv) == describe(target.dsn)
