"""A natural run that quietly becomes forced says so: the summary line, the JSON `summary`,
Markdown and JUnit count the checks that ran in each mode (issue 9).

Real PostgreSQL 15 and 18, `plinto-db check` as a real process, on tests/test_check_own_schema's
schema: `tiny` has two rows (1 page), so its check runs forced in a natural run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from test_check_own_schema import CHECKS, build, write_inputs

from plinto_db.check.modes import Mode
from plinto_db.check.results import CheckRun

KEEP = ("by_email", "order_counts", "tiny_lookup")


@pytest.fixture(scope="module")
def own_db(pg_server) -> Iterator[str]:
    dsn = pg_server.create_database()
    build(dsn)
    yield dsn
    pg_server.drop_database(dsn)


def args(dsn: str, inputs: tuple[Path, Path], *more: str) -> tuple[str, ...]:
    return ("check", "--dsn", dsn, "--checks", str(inputs[0]), "--indexes", str(inputs[1]), *more)


def test_a_natural_run_counts_the_checks_it_ran_forced(run_cli, own_db, tmp_path):
    inputs = write_inputs(tmp_path, {k: v for k, v in CHECKS.items() if k in KEEP})
    done = run_cli(*args(own_db, inputs))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed, 0 failed of 3 (2 natural, 1 forced: tables under 10 pages)" in done.stdout
    done = run_cli(*args(own_db, inputs, "--format", "json"))
    summary = json.loads(done.stdout)["summary"]
    assert summary["modes"] == {"natural": 2, "forced": 1}
    assert summary["forced_for_tiny_tables"] == 1
    junit = tmp_path / "check.xml"
    done = run_cli(*args(own_db, inputs, "--format", "markdown", "--junit", str(junit)))
    assert done.stdout.rstrip().endswith(
        "3 passed, 0 failed of 3 (2 natural, 1 forced: tables under 10 pages)"
    )
    props = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    assert props["modes"] == "2 natural, 1 forced: tables under 10 pages"


def test_a_run_all_in_its_own_mode_says_only_that(run_cli, own_db, tmp_path):
    inputs = write_inputs(tmp_path, {k: v for k, v in CHECKS.items() if k in KEEP})
    done = run_cli(*args(own_db, inputs, "--mode", "forced"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed, 0 failed of 3 (3 forced)" in done.stdout
    done = run_cli(*args(own_db, inputs, "--mode", "forced", "--format", "json"))
    summary = json.loads(done.stdout)["summary"]
    assert summary["modes"] == {"forced": 3} and summary["forced_for_tiny_tables"] == 0


def test_modes_text_names_the_runs_mode_first_even_when_no_check_ran_in_it():
    run = CheckRun(Mode.NATURAL, False, "PostgreSQL 18.0", "x", "checks", None, (), ())
    assert run.modes_text() == "0 natural"
