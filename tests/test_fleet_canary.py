"""--canary N: the first N targets run (and are checked with --checks) before the others;
when one fails, the others stay untouched and the summary says so. --fail-fast starts no
target after one fails. drop on a fleet asks once, and skips a replica."""

from __future__ import annotations

import json

import psycopg
import pytest
from fleet_support import CATALOG, by_name, index_names, items_db, write_targets

# forced mode: an index on name cannot serve a query on sku
FAILING_CHECK = (
    "-- expect: index items_name\n-- params: 's5'\nSELECT * FROM items WHERE sku = $1;\n"
)
PASSING_CHECK = (
    "-- expect: index items_name\n-- params: 'n5'\nSELECT * FROM items WHERE name = $1;\n"
)


@pytest.fixture
def three(pg_server, tmp_path):
    dsns = [items_db(pg_server, rows=5000) for _ in range(3)]  # natural mode: not tiny
    names = ["canary", "second", "third"]
    targets = write_targets(
        tmp_path / "fleet.toml", [{"name": n, "dsn": d} for n, d in zip(names, dsns, strict=True)]
    )
    catalog = tmp_path / "catalog.sql"
    catalog.write_text(CATALOG)
    yield dsns, ["--targets", str(targets), "--indexes", str(catalog), "--format", "json"]
    for dsn in dsns:
        pg_server.drop_database(dsn)


def _checks(tmp_path, text: str) -> str:
    folder = tmp_path / "checks"
    folder.mkdir()
    (folder / "by_name.sql").write_text(text)
    return str(folder)


def test_a_canary_that_fails_leaves_the_others_untouched(three, run_cli):
    dsns, args = three
    with psycopg.connect(dsns[0], autocommit=True) as conn:
        conn.execute("CREATE INDEX items_name ON items (lower(name))")  # drift: apply exits 3
    result = run_cli("apply", *args, "--canary", "1")
    assert result.returncode == 3, result.stdout + result.stderr
    document = json.loads(result.stdout)
    targets = by_name(document)
    assert targets["canary"]["canary"] is True and targets["canary"]["state"] == "drift"
    assert [targets[n]["state"] for n in ("second", "third")] == ["not started"] * 2
    assert document["summary"]["not_touched"] == ["second", "third"]
    assert "the canary failed on canary" in document["summary"]["stopped"]
    assert index_names(dsns[1]) == {} and index_names(dsns[2]) == {}


def test_a_canary_whose_check_fails_stops_the_fleet(three, run_cli, tmp_path):
    dsns, args = three
    checks = _checks(tmp_path, FAILING_CHECK)
    result = run_cli("apply", *args, "--canary", "1", "--checks", checks)
    assert result.returncode == 1, result.stdout + result.stderr
    targets = by_name(json.loads(result.stdout))
    canary = targets["canary"]
    assert canary["result"]["converged"] is True  # apply itself passed
    assert canary["check"]["exit_code"] == 1, canary["check"]
    assert canary["check"]["result"]["summary"]["failed"] == 1
    assert canary["state"] == "failed" and canary["exit_code"] == 1
    assert index_names(dsns[0]) == {"items_name": True, "items_sku": True}
    assert index_names(dsns[1]) == {} and index_names(dsns[2]) == {}


def test_a_canary_that_passes_its_check_lets_the_rest_run(three, run_cli, tmp_path):
    dsns, args = three
    checks = _checks(tmp_path, PASSING_CHECK)
    result = run_cli("apply", *args, "--canary", "1", "--checks", checks)
    assert result.returncode == 0, result.stdout + result.stderr
    targets = by_name(json.loads(result.stdout))
    assert targets["canary"]["check"]["exit_code"] == 0
    assert targets["second"]["check"] is None  # only the canary is checked
    for dsn in dsns:
        assert index_names(dsn) == {"items_name": True, "items_sku": True}


def test_fail_fast_starts_no_target_after_one_fails(three, run_cli):
    dsns, args = three
    with psycopg.connect(dsns[0], autocommit=True) as conn:
        conn.execute("CREATE INDEX items_name ON items (lower(name))")
    result = run_cli("apply", *args, "--parallel", "1", "--fail-fast")
    assert result.returncode == 3
    targets = by_name(json.loads(result.stdout))
    assert [t["state"] for t in targets.values()] == ["drift", "not started", "not started"]
    assert index_names(dsns[2]) == {}


def test_drop_on_a_fleet_asks_once_and_drops_on_every_target(three, run_cli):
    dsns, args = three
    assert run_cli("apply", *args).returncode == 0
    refused = run_cli("drop", *args, input="n\n")
    assert refused.returncode == 2 and "not confirmed" in refused.stderr
    assert index_names(dsns[0]) == {"items_name": True, "items_sku": True}
    result = run_cli("drop", *args, input="y\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "on 3 target(s): canary, second, third" in result.stderr
    assert all(index_names(dsn) == {} for dsn in dsns)
