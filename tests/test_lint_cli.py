"""`plinto-db lint` as a real process: output formats, exit codes, this project's own files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "data" / "lint"

# The real entry point (cli.main: one-line errors, exit codes), with `lint` registered on the
# way in until cli.COMMAND_MODULES lists it; then this is `python -m plinto_db`.


def run_lint(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plinto_db", "lint", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_this_projects_indexes_and_migrations_lint_clean():
    done = run_lint("indexes", "migrations")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""
    assert "plinto-db: lint: no findings in " in done.stderr
    assert " as the index catalog), " in done.stderr


def test_the_catalog_is_linted_as_what_it_is_unless_copied_elsewhere(tmp_path):
    copy = tmp_path / "migrations"
    copy.mkdir()
    (copy / "01.sql").write_text((REPO / "indexes" / "09_partial.sql").read_text())
    done = run_lint(copy)
    assert done.returncode == 1
    assert {line.split(" ")[1] for line in done.stdout.splitlines()} == {"concurrent-if-not-exists"}
    assert run_lint("--catalog", copy, copy).returncode == 0


def test_text_output_is_one_line_per_finding_with_a_summary_on_stderr():
    done = run_lint(FIXTURES / "adding-volatile-default" / "bad.sql")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    path = (FIXTURES / "adding-volatile-default" / "bad.sql").as_posix()
    assert [line.split(" ")[:2] for line in lines] == [
        [f"{path}:2:1:", "adding-volatile-default"],
        [f"{path}:3:1:", "adding-volatile-default"],
    ]
    assert done.stderr == "plinto-db: lint: 2 findings (2 errors) in 1 file, 3 statements\n"


def test_json_output_lists_findings_with_their_locations():
    done = run_lint("--format", "json", "tests/data/lint/require-lock-timeout")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["files"] == 4
    assert document["catalog_files"] == 0
    assert document["statements"] == 16
    assert document["summary"] == {
        "findings": 3,
        "errors": 0,
        "warnings": 3,
        "by_rule": {"require-lock-timeout": 3},
    }
    first = document["findings"][0]
    assert first == {
        "path": "tests/data/lint/require-lock-timeout/bad.py",
        "line": 15,
        "column": 5,
        "rule": "require-lock-timeout",
        "severity": "warning",
        "message": first["message"],
    }


def test_sarif_output_has_what_sarif_2_1_0_requires():
    done = run_lint("--format", "sarif", "tests/data/lint/concurrently-in-transaction")
    assert done.returncode == 1
    log = json.loads(done.stdout)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] and driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    assert len(run["results"]) == 5
    for result in run["results"]:
        assert result["level"] == "error"
        assert result["message"]["text"]
        assert rule_ids[result["ruleIndex"]] == result["ruleId"] == "concurrently-in-transaction"
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"].startswith(
            "tests/data/lint/concurrently-in-transaction/bad."
        )
        assert physical["region"]["startLine"] >= 1
        assert physical["region"]["startColumn"] >= 1
    assert run["results"][-1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 1,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no/such/folder",), "plinto-db: error: no/such/folder: no such file or folder\n"),
        (
            ("--catalog", "no/such/catalog", "indexes"),
            "plinto-db: error: --catalog no/such/catalog: no such file or folder\n",
        ),
        (
            ("--rule", "no-such-rule", "indexes"),
            "plinto-db: error: --rule no-such-rule: no such rule "
            "(plinto-db lint --list-rules shows them)\n",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    done = run_lint(*args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message)


def test_a_typo_in_a_suppression_is_exit_2_naming_file_and_line(tmp_path):
    (tmp_path / "m.sql").write_text("-- plinto-db: ignore[require-index-nmae]\nSELECT 1;\n")
    done = run_lint(tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"plinto-db: error: {tmp_path.as_posix()}/m.sql:1: unknown rule")


def test_rules_can_be_chosen_and_excluded_by_id():
    bad = FIXTURES / "require-index-name" / "bad.sql"
    assert run_lint("--exclude", "require-index-name", bad).returncode == 0
    assert run_lint("--rule", "require-concurrent-index-deletion", bad).returncode == 0
    assert run_lint("--only", "require-index-name", bad).returncode == 1


def test_assume_in_transaction_flags_concurrently_in_any_sql_file(tmp_path):
    (tmp_path / "m.sql").write_text("CREATE INDEX CONCURRENTLY a ON t (x);\n")
    assert run_lint(tmp_path).returncode == 0
    done = run_lint("--assume-in-transaction", tmp_path)
    assert done.returncode == 1
    assert " concurrently-in-transaction " in done.stdout


def test_list_rules_names_every_rule_with_its_severity():
    done = run_lint("--list-rules", "--format", "json")
    assert done.returncode == 0
    rules = json.loads(done.stdout)
    assert {r["id"] for r in rules} == {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert {r["severity"] for r in rules} == {"error", "warning"}


def test_a_folder_with_nothing_to_lint_or_a_file_of_another_kind_is_exit_2(tmp_path):
    (tmp_path / "notes.txt").write_text("CREATE INDEX i ON t (a);\n")
    done = run_lint(tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith(": no .sql files or alembic revisions to lint\n")
    done = run_lint(tmp_path / "notes.txt")
    assert done.returncode == 2
    assert "not a .sql file or an alembic revision (.py)" in done.stderr


def test_loading_the_command_does_not_import_the_parsers():
    # plinto-db --help imports every command module: the parsers load only when lint runs
    code = (
        "import sys, plinto_db.commands.lint\n"
        "print(sorted(m for m in ('pglast', 'sqlglot', 'plinto_db.lint') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
