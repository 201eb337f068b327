"""Bad fleet input is one line naming file:line, exit 2, before anything connects: every
target below points at a server that does not exist, so a connection attempt would say so."""

from __future__ import annotations

import pytest
from fleet_support import NOWHERE, write_targets

DUPLICATE = (
    f'[[target]]\nname = "a"\ndsn = "{NOWHERE}"\n\n[[target]]\nname = "a"\ndsn = "{NOWHERE}"\n'
)
UNKNOWN_KEY = f'[[target]]\nname = "a"\ndsn = "{NOWHERE}"\ntgas = ["eu"]\n'


def _one_line(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("plinto-db: error: "), result.stderr
    assert "cannot connect" not in lines[0]
    assert result.stdout == ""
    return lines[0]


def test_a_duplicate_name_is_refused_with_both_places(run_cli, tmp_path):
    (tmp_path / "fleet.toml").write_text(DUPLICATE)
    line = _one_line(run_cli("status", "--targets", str(tmp_path / "fleet.toml")))
    assert f"{tmp_path / 'fleet.toml'}:5: duplicate target name 'a'" in line
    assert "first at" in line and "fleet.toml:1" in line


def test_an_unknown_key_is_refused_at_its_line_with_a_suggestion(run_cli, tmp_path):
    (tmp_path / "fleet.toml").write_text(UNKNOWN_KEY)
    line = _one_line(run_cli("apply", "--targets", str(tmp_path / "fleet.toml")))
    assert "fleet.toml:4: unknown key 'tgas'" in line and "did you mean 'tags'?" in line


def test_an_unset_dsn_env_is_refused_naming_the_target_and_variable(run_cli, tmp_path):
    targets = write_targets(
        tmp_path / "fleet.toml",
        [{"name": "a", "dsn": NOWHERE}, {"name": "b", "dsn_env": "PLINTO_DB_FLEET_UNSET"}],
    )
    line = _one_line(run_cli("check", "--targets", str(targets)))
    assert "fleet.toml:5: target 'b': environment variable PLINTO_DB_FLEET_UNSET is not set" in line


def test_a_dsn_env_of_an_unchosen_target_is_not_needed(run_cli, tmp_path):
    targets = write_targets(
        tmp_path / "fleet.toml",
        [{"name": "a", "dsn": NOWHERE}, {"name": "b", "dsn_env": "PLINTO_DB_FLEET_UNSET"}],
    )
    result = run_cli("history", "--targets", str(targets), "--target", "a")
    assert result.returncode == 2 and "cannot connect" in result.stdout  # `a` ran (and failed)


def test_invalid_toml_names_its_line(run_cli, tmp_path):
    (tmp_path / "fleet.toml").write_text('[[target]]\nname = "a\n')
    line = _one_line(run_cli("doctor", "--targets", str(tmp_path / "fleet.toml")))
    assert "fleet.toml:2: not valid TOML" in line


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--target", "nope"], "--target nope: no target of that name"),
        (["--tag", "nope"], "--tag nope: no target carries it"),
        (["--dsn", NOWHERE], "--dsn and --targets: give one"),
        (["--checks", "checks"], "--checks checks the canary: give --canary N too"),
    ],
)
def test_fleet_options_that_pick_nothing_or_contradict_are_refused(run_cli, tmp_path, args, says):
    targets = write_targets(tmp_path / "fleet.toml", [{"name": "a", "dsn": NOWHERE}])
    assert says in _one_line(run_cli("apply", "--targets", str(targets), *args))


@pytest.mark.parametrize("option", [["--tag", "x"], ["--parallel", "2"], ["--canary", "1"]])
def test_fleet_options_without_targets_are_refused(run_cli, option):
    line = _one_line(run_cli("apply", "--dsn", NOWHERE, *option))
    assert f"{option[0]} needs --targets FILE" in line


def test_reports_of_one_database_are_refused_with_targets(run_cli, tmp_path):
    targets = write_targets(tmp_path / "fleet.toml", [{"name": "a", "dsn": NOWHERE}])
    junit = _one_line(run_cli("check", "--targets", str(targets), "--junit", "r.xml"))
    assert "--junit is one database's report" in junit
    sarif = _one_line(run_cli("doctor", "--targets", str(targets), "--format", "sarif"))
    assert "--format sarif is one database's report" in sarif


def test_a_bad_catalog_or_workload_is_one_error_not_one_per_target(run_cli, tmp_path):
    targets = write_targets(
        tmp_path / "fleet.toml", [{"name": "a", "dsn": NOWHERE}, {"name": "b", "dsn": NOWHERE}]
    )
    (tmp_path / "bad.sql").write_text("CREATE INDEX broken ON;\n")
    catalog = _one_line(
        run_cli("apply", "--targets", str(targets), "--indexes", str(tmp_path / "bad.sql"))
    )
    assert "bad.sql:1" in catalog
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "q.sql").write_text("-- expect: nonsense here\nSELECT 1;\n")
    workload = _one_line(
        run_cli("check", "--targets", str(targets), "--checks", str(tmp_path / "checks"))
    )
    assert "q.sql:1" in workload
