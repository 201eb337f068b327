"""docs/connecting.md's examples are what the commands print: the note naming a server
found in $PLINTO_DB_DSN, the keys of `server status --format json` and of `migrate --format
json`. (The embedded server's start notes are run by tests/test_embedded_server.py.)"""

from __future__ import annotations

import json
import re

from test_docs_examples import DOCS, example


def test_dsn_note_is_what_a_command_prints(run_cli):
    shown = example("connecting.md", "(from PLINTO_DB_DSN)").strip().splitlines()[-1]
    host, port, db, user = re.match(
        r"plinto-db: using (.+):(\d+), database '(.+)', user '(.+)' \(from PLINTO_DB_DSN\)$",
        shown,
    ).groups()
    dsn = f"host={host} port={port} dbname={db} user={user} connect_timeout=5"
    done = run_cli("status", env={"PLINTO_DB_DSN": dsn})  # db.internal resolves nowhere
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == shown


def keys_named(text: str, after: str) -> set[str]:
    """The quoted keys of the `{"a", "b"}` that follows `after` in docs/connecting.md."""
    braces = re.search(re.escape(after) + r"\s*`?(\{[^}]*\})", text, re.DOTALL).group(1)
    return set(re.findall(r'"(\w+)"', braces))


def test_server_status_json_has_the_keys_shown(run_cli, tmp_path):
    page = (DOCS / "connecting.md").read_text()
    done = run_cli("server", "status", "--data-dir", str(tmp_path / "none"), "--format", "json")
    assert done.returncode == 1  # not running
    real = json.loads(done.stdout)
    assert set(real) == keys_named(page, "`server status --format json` prints")
    assert real["dsn"] is None and real["running"] is False


def test_migrate_json_has_the_keys_shown(new_db, run_cli):
    page = (DOCS / "connecting.md").read_text()
    done = run_cli("migrate", "--to", "0001", "--format", "json", "--dsn", new_db("empty"))
    assert done.returncode == 0, done.stderr
    real = json.loads(done.stdout)
    assert set(real) == keys_named(page, "`json` prints")
    revision = real["revisions"][0]
    assert set(revision) == {"revision", "description", "created", "dropped"}
    assert set(revision["created"]) == {"table", "index", "constraint"}
    assert revision["created"]["table"][:1] == ["public.activity_logs"]
    assert revision["dropped"] == {}
