"""A fleet of six databases across PostgreSQL 15 and 18 (every available test server), a
streaming standby, an unreachable target, a drifted index and a database held by another
apply's lock: each target ends as the single command would end on it, the others go on,
the fleet exits with the worst code, the standby is skipped by apply and read by status."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from fleet_support import (
    CATALOG,
    NOWHERE,
    by_name,
    fleet_servers,  # noqa: F401 (a fixture)
    index_names,
    interleaved,
    items_db,
    write_targets,
)
from standby import NoStandby, start_standby

from plinto_db.apply.lock import LOCK_KEY


@pytest.fixture(scope="module")
def fleet(fleet_servers, tmp_path_factory) -> Iterator[dict]:  # noqa: F811
    """Six databases (three per server when there are two), a standby of the first."""
    first, second = fleet_servers[0], fleet_servers[-1]
    dsns = {
        "a": items_db(first),
        "drifted": items_db(first),
        "locked": items_db(first),
        "d": items_db(second),
        "e": items_db(second),
        "f": items_db(second),
    }
    with psycopg.connect(dsns["drifted"], autocommit=True) as conn:
        conn.execute("CREATE INDEX items_name ON items (lower(name))")
    try:
        standby = start_standby(first)
    except NoStandby as exc:
        pytest.skip(str(exc))
    folder = tmp_path_factory.mktemp("fleet")
    (folder / "catalog.sql").write_text(CATALOG)
    entries = [
        {"name": "a", "dsn": dsns["a"], "tags": ["first"]},
        {"name": "drifted", "dsn": dsns["drifted"], "tags": ["first"]},
        {"name": "locked", "dsn": dsns["locked"], "tags": ["first"]},
        {"name": "d", "dsn_env": "FLEET_TEST_D_DSN", "tags": ["second"]},
        {"name": "e", "dsn": dsns["e"], "tags": ["second"]},
        {"name": "f", "dsn": dsns["f"], "tags": ["second"]},
        {"name": "standby", "dsn": standby.dsn(dsns["a"]), "role": "replica"},
        {"name": "down", "dsn": NOWHERE},
    ]
    write_targets(folder / "fleet.toml", entries)
    try:
        yield {"dsns": dsns, "folder": folder, "standby": standby, "servers": fleet_servers}
    finally:
        standby.stop()


def _run(run_cli, fleet, *args: str):
    folder = fleet["folder"]
    env = {"FLEET_TEST_D_DSN": fleet["dsns"]["d"], "PLINTO_DB_CACHE_DIR": str(folder / "cache")}
    return run_cli(
        *args, "--targets", str(folder / "fleet.toml"), "--indexes", str(folder / "catalog.sql"),
        env=env,
    )  # fmt: skip


def test_apply_on_the_fleet_ends_each_target_as_apply_alone_would(run_cli, fleet):
    dsns = fleet["dsns"]
    holder = psycopg.connect(dsns["locked"], autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s::bigint)", (LOCK_KEY,))
        log_dir = fleet["folder"] / "logs"
        result = _run(
            run_cli, fleet, "apply", "--parallel", "3", "--log-dir", str(log_dir),
            "--format", "json",
        )  # fmt: skip
    finally:
        holder.close()
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    targets = by_name(document)
    codes = {name: t["exit_code"] for name, t in targets.items()}
    assert codes == {
        "a": 0, "drifted": 3, "locked": 4, "d": 0, "e": 0, "f": 0, "standby": 0, "down": 2,
    }  # fmt: skip
    # unreachable ranks above drift and blocked; nothing failed a build
    assert result.returncode == 2 == document["summary"]["exit_code"]
    assert targets["down"]["error"].startswith("cannot connect to")
    assert targets["down"]["result"] is None
    assert targets["locked"]["error"].startswith("another plinto-db apply holds the lock")
    assert targets["standby"]["state"] == "skipped" and targets["standby"]["result"] is None
    assert targets["a"]["result"]["converged"] is True  # apply's own JSON, inside
    assert targets["drifted"]["result"]["exit_code"] == 3
    versions = {targets[n]["server_version"].split(".")[0] for n in ("a", "d")}
    assert versions == {str(s.version_num // 10000) for s in fleet["servers"]}
    for name in ("a", "d", "e", "f"):
        assert index_names(dsns[name]) == {"items_name": True, "items_sku": True}
    assert index_names(dsns["locked"]) == {}
    with psycopg.connect(dsns["drifted"]) as conn:  # refused, as apply alone refuses it
        definition = conn.execute("SELECT pg_get_indexdef('items_name'::regclass)").fetchone()
    assert "lower(name)" in definition[0]
    assert (log_dir / "a.log").read_text().count("converged") >= 1
    assert "cannot connect" in (log_dir / "down.log").read_text()


def test_status_on_the_fleet_reads_the_standby_and_tags_pick_targets(run_cli, fleet):
    _run(run_cli, fleet, "apply", "--target", "a", "--format", "json")
    fleet["standby"].catch_up(fleet["dsns"]["a"])
    result = _run(run_cli, fleet, "status", "--target", "a", "--target", "standby",
                  "--tag", "second", "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    targets = by_name(json.loads(result.stdout))
    assert list(targets) == ["a", "d", "e", "f", "standby"]  # file order
    standby = targets["standby"]["result"]
    assert {r["name"]: r["state"] for r in standby["indexes"] if r["managed"]} == {
        "items_name": "valid",
        "items_sku": "valid",
    }


def test_live_lines_are_whole_lines_prefixed_with_their_target(run_cli, fleet):
    result = _run(run_cli, fleet, "status", "--parallel", "8")
    assert result.returncode == 1  # drifted is not valid (1), ranked above `down` (2)
    assert interleaved(result.stderr) == [], result.stderr
    said = {line.split(" | ")[0].strip() for line in result.stderr.splitlines() if " | " in line}
    assert said == {"a", "drifted", "locked", "d", "e", "f", "standby", "down"}
    assert "8 target(s):" in result.stdout


def test_markdown_summary_has_a_row_per_target(run_cli, fleet):
    result = _run(run_cli, fleet, "status", "--format", "markdown", "--tag", "second")
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in rows] == ["target", "d", "e", "f"]


def test_check_on_the_fleet_runs_on_the_standby_too(run_cli, fleet):
    _run(run_cli, fleet, "apply", "--target", "a", "--format", "json")
    fleet["standby"].catch_up(fleet["dsns"]["a"])
    checks = fleet["folder"] / "checks"
    checks.mkdir(exist_ok=True)
    (checks / "by_name.sql").write_text(
        "-- expect: index items_name\n-- params: 'n5'\nSELECT * FROM items WHERE name = $1;\n"
    )
    logs = fleet["folder"] / "check-logs"
    result = _run(run_cli, fleet, "check", "--target", "a", "--target", "standby",
                  "--checks", str(checks), "--mode", "forced", "--log-dir", str(logs),
                  "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    targets = by_name(json.loads(result.stdout))
    for name in ("a", "standby"):
        assert targets[name]["result"]["summary"]["passed"] == 1
    assert "1 passed, 0 failed of 1" in (logs / "standby.log").read_text()
