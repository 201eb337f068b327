"""Bad input to `check`: one line naming what is wrong and where, exit 2, nothing run.

Header mistakes are refused by the loader (pure); options and output paths by the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from check_helpers import build_app, write_inputs

from plinto_db.check.workload import load_check, parse_check
from plinto_db.errors import UserError

BY_UUID = {
    "by_uuid": (
        "-- expect: index accounts_ext_idx\n"
        '-- sample: SELECT ext_id FROM app."Accounts" ORDER BY "Id" LIMIT 1\n'
        'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1;\n'
    )
}


@pytest.fixture(scope="module")
def app_db(pg_server) -> Iterator[str]:
    dsn = pg_server.create_database()
    build_app(dsn, data=False)
    yield dsn
    pg_server.drop_database(dsn)


def test_a_capitalised_directive_is_not_silently_description(tmp_path):
    text = "-- expect: index a_idx\n-- Expect: index b_idx\nSELECT 1\n"
    with pytest.raises(UserError, match=r"x\.sql:2: header directive 'Expect' must be lower"):
        parse_check(text, tmp_path / "x.sql")
    # prose with a colon stays description
    check = parse_check("-- Admin: x\n-- Source: y\n-- expect: index a_idx\nSELECT 1\n", tmp_path)
    assert check.description == "Admin: x Source: y"


def test_an_expect_line_without_its_colon_is_refused(tmp_path):
    text = "-- expect: index a_idx\n-- expect index b_idx\nSELECT 1\n"
    with pytest.raises(UserError, match=r"x\.sql:2: `expect` without a colon"):
        parse_check(text, tmp_path / "x.sql")
    prose = "-- We expect index use to matter here.\n-- expect: index a_idx\nSELECT 1\n"
    assert parse_check(prose, tmp_path / "y.sql").description.startswith("We expect")


def test_a_trailing_comment_is_not_a_second_statement(tmp_path):
    ok = parse_check("-- expect: index a_idx\nSELECT 1; -- trailing\n/* two */\n", tmp_path)
    assert ok.sql == "SELECT 1"
    with pytest.raises(UserError, match=r"x\.sql:2: one statement per check file"):
        parse_check(
            "-- expect: index a_idx\nSELECT 1; -- x\n\n  /* y */ SELECT 2;\n", tmp_path / "x.sql"
        )


def test_a_check_file_that_is_not_utf8_names_its_line(tmp_path):
    file = tmp_path / "x.sql"
    file.write_bytes(b"-- expect: index a_idx\nSELECT 'caf\xe9'\n")
    with pytest.raises(UserError, match=r"x\.sql:2: not UTF-8 \(byte 0xe9 at column 12\)"):
        load_check(file)


def test_an_unwritable_junit_path_is_refused_before_running(run_cli, app_db, tmp_path):
    inputs = write_inputs(tmp_path, BY_UUID)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target in (blocker / "x.xml", tmp_path):
        done = run_cli(
            "check", "--dsn", app_db, "--checks", str(inputs[0]), "--indexes", str(inputs[1]),
            "--junit", str(target),
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""  # refused before running anything
        assert "--junit" in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--statement-timeout", "-5"), "--statement-timeout '-5': give seconds"),
        (
            ("--lock-timeout", "99999999999"),
            "--lock-timeout 99,999,999.999s: out of range; give 0 (no limit) to 2,147,483 seconds",
        ),
        (("--lock-timeout", "3 weeks"), "--lock-timeout '3 weeks': give seconds"),
        (("--statement-timeout", "3000000s"), "--statement-timeout 3,000,000s: out of range"),
    ],
)
def test_out_of_range_timeouts_are_bad_input(run_cli, app_db, tmp_path, option, message):
    checks_dir, indexes_dir = write_inputs(tmp_path, BY_UUID)
    done = run_cli(
        "check", "--dsn", app_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
        *option,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "internal error" not in done.stderr
