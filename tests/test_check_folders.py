"""Which folders a run pairs: your own checks never pair with the bundled (Plinto) catalog.

Real PostgreSQL 15 and 18, `plinto-db check` as a real process.
"""

from __future__ import annotations

import json

from check_helpers import APP_CATALOG, write_inputs

BY_UUID = {
    "by_uuid": (
        "-- expect: index accounts_ext_idx\n"
        '-- sample: SELECT ext_id FROM app."Accounts" ORDER BY "Id" LIMIT 1\n'
        'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1;\n'
    )
}


def test_own_checks_never_pair_with_the_bundled_catalog(run_cli, app_db, tmp_path):
    """--checks without --indexes: ./indexes if there is one, else no catalog (not Plinto's)."""
    checks_dir, _ = write_inputs(tmp_path / "in", BY_UUID)
    work = tmp_path / "work"
    work.mkdir()
    args = ("check", "--dsn", app_db, "--checks", str(checks_dir), "--format", "json")
    done = run_cli(*args, cwd=work)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["coverage"] == [] and report["indexes_dir"] is None
    assert any("no index catalog" in note for note in report["notes"])
    done = run_cli(*args, "--require-coverage", cwd=work)
    assert done.returncode == 2
    assert "--require-coverage needs an index catalog" in done.stderr
    assert done.stdout == ""
    # a catalog in the working directory is picked up
    (work / "indexes").mkdir()
    (work / "indexes" / "app.sql").write_text(APP_CATALOG)
    done = run_cli(*args, cwd=work)
    report = json.loads(done.stdout)
    assert {c["index"] for c in report["coverage"]} == {
        "Accounts_Email_idx",
        "accounts_ext_idx",
        "events_account_idx",
    }
