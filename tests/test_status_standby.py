"""`status` on a hot standby: the same verdicts as on its primary. The standby cannot
normalise the catalog's definitions (that needs a temporary table), so it reads the shapes
apply recorded on the primary, which replicate; an index whose shape was never recorded is
`unverified`, never silently valid. A real streaming standby (tests/standby.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from standby import NoStandby, start_standby

CATALOG = (
    "CREATE INDEX items_name ON app.items (name);\n"
    "CREATE INDEX items_lower_name ON app.items (lower(name)) WHERE kind = 'a';\n"
    "CREATE INDEX items_kind ON app.items (kind);\n"
    "CREATE INDEX items_missing ON app.items (id, kind);\n"
)


@pytest.fixture
def replica(pg_server, tmp_path) -> Iterator[tuple[str, str, str]]:
    """(primary DSN, standby DSN, catalog path) of one fresh database."""
    dsn = pg_server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.items (id int PRIMARY KEY, name text, kind text)")
        conn.execute("INSERT INTO app.items SELECT g, 'n' || g, 'a' FROM generate_series(1, 99) g")
    catalog = tmp_path / "catalog.sql"
    catalog.write_text(CATALOG)
    try:
        standby = start_standby(pg_server)
    except NoStandby as exc:
        pg_server.drop_database(dsn)
        pytest.skip(str(exc))
    try:
        yield dsn, standby, str(catalog)
    finally:
        standby.stop()
        pg_server.drop_database(dsn)


def _status(run_cli, dsn: str, catalog: str, tmp_path, cache: str) -> tuple[int, dict]:
    env = {"PLINTO_DB_CACHE_DIR": str(tmp_path / cache)}  # each side computes on its own
    result = run_cli("status", "--dsn", dsn, "--indexes", catalog, "--format", "json", env=env)
    assert result.returncode in (0, 1), result.stderr
    assert "error" not in result.stderr
    rows = json.loads(result.stdout)["indexes"]
    return result.returncode, {r["name"]: (r["state"], r["detail"]) for r in rows if r["managed"]}


def test_status_on_a_standby_gives_the_primary_s_verdicts_from_the_shapes_apply_recorded(
    replica, run_cli, tmp_path
):
    primary, standby, catalog = replica
    with psycopg.connect(primary, autocommit=True) as conn:  # drifted: another key
        conn.execute("CREATE INDEX items_kind ON app.items (name, kind)")
    applied_part = tmp_path / "applied.sql"  # all but items_missing, which stays missing
    applied_part.write_text(
        CATALOG.replace("CREATE INDEX items_missing ON app.items (id, kind);\n", "")
    )
    applied = run_cli(
        "apply", "--dsn", primary, "--indexes", str(applied_part),
        env={"PLINTO_DB_CACHE_DIR": str(tmp_path / "apply")},
    )  # fmt: skip
    assert applied.returncode == 3, applied.stderr  # builds two, refuses the drift
    standby.catch_up(primary)
    on_primary = _status(run_cli, primary, catalog, tmp_path, "primary")
    on_standby = _status(run_cli, standby.dsn(primary), catalog, tmp_path, "standby")
    assert on_standby == on_primary
    code, states = on_standby
    assert code == 1
    assert {name: state for name, (state, _) in states.items()} == {
        "items_name": "valid",
        "items_lower_name": "valid",
        "items_kind": "drifted",
        "items_missing": "missing",
    }


def test_without_recorded_shapes_a_standby_says_unverified_and_goes_on(replica, run_cli, tmp_path):
    primary, standby, catalog = replica
    with psycopg.connect(primary, autocommit=True) as conn:  # built by hand, not by apply
        conn.execute("CREATE INDEX items_name ON app.items (name)")
    standby.catch_up(primary)
    code, states = _status(run_cli, standby.dsn(primary), catalog, tmp_path, "standby")
    assert code == 1
    state, detail = states["items_name"]
    assert state == "unverified"
    assert "read-only" in detail and "plinto-db apply" in detail
    assert states["items_missing"][0] == "missing"


def test_apply_with_nothing_to_build_on_a_standby_names_what_it_could_not_verify(
    replica, run_cli, tmp_path
):
    primary, standby, _ = replica
    one = tmp_path / "one.sql"
    one.write_text("CREATE INDEX items_name ON app.items (name);\n")
    with psycopg.connect(primary, autocommit=True) as conn:  # built by hand, not by apply
        conn.execute("CREATE INDEX items_name ON app.items (name)")
    standby.catch_up(primary)
    env = {"PLINTO_DB_CACHE_DIR": str(tmp_path / "standby")}
    base = ("apply", "--dsn", standby.dsn(primary), "--indexes", str(one))
    done = run_cli(*base, "--format", "json", env=env)
    assert done.returncode == 1, done.stderr  # not converged: not proven, never silently valid
    document = json.loads(done.stdout)
    assert document["converged"] is False and document["remaining"] == ["items_name"]
    text = run_cli(*base, env=env)
    conclusion = " ".join(text.stdout.split())
    assert "not valid:" not in conclusion, conclusion  # it is valid; its shape is unknown
    assert "valid but unverified (a read-only server cannot compare definitions): items_name" in (
        conclusion
    ), conclusion
