"""docs/advise.md's examples run here on a real server: `plinto-db advise` with no options
reads the workload and the catalog as `check` does (the bundled ones outside a project), and
the JSON document has the keys the page lists (proposals, serves, targets)."""

from __future__ import annotations

import json
import re

import psycopg
from test_docs_examples import DOCS

ITEMS = """
CREATE TABLE items (id int PRIMARY KEY, owner int NOT NULL, note text NOT NULL);
INSERT INTO items SELECT g, g % 500, repeat('x', 40) FROM generate_series(1, 20000) g;
ANALYZE items;
"""
CHECK = (
    "-- items of an owner\n-- expect: index-on items\nSELECT id, note FROM items WHERE owner = 7;\n"
)


def test_advise_without_options_reads_the_bundled_catalog_as_check_does(new_db, run_cli, tmp_path):
    # the schema without the catalog: every bundled check names a catalog index not built,
    # which is advice's very case; an empty, never analyzed schema is then refused as
    # check refuses it, never for an index "neither in the catalog (none loaded) nor ..."
    done = run_cli("advise", "--trial-builds", "--dsn", new_db("schema"), cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown index" not in done.stderr, done.stderr
    assert "analyze" in done.stderr.lower(), done.stderr


def keys_of(text: str) -> set[str]:
    return set(re.findall(r"\b([a-z_]+)\b(?=[,}\]:]|$)", text))


def test_json_document_has_the_keys_shown(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(ITEMS)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "01_items_of_owner.sql").write_text(CHECK)
    (tmp_path / "indexes").mkdir()
    (tmp_path / "indexes" / "01.sql").write_text("CREATE INDEX items_note ON items (note);\n")
    done = run_cli(
        "advise", "--trial-builds", "--format", "json", "--dsn", dsn,
        "--checks", "checks", "--indexes", "indexes", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    real = json.loads(done.stdout)

    page = " ".join((DOCS / "advise.md").read_text().split())
    shown = re.search(r"JSON: `(\{server, .*?\})` \(`cost_before`", page).group(1)
    summary = re.search(r"summary: \{(.*?)\}", shown).group(1)
    proposal = re.search(r"proposals: \[\{(.*?also_used_by)\}\]", shown).group(1)
    serves = re.search(r"serves: \[\{(.*?)\}\]", shown).group(1)
    target = re.search(r"targets: \[\{(.*?)\}\]", shown).group(1)
    change = re.search(r"expect_changes: \[\{(.*?)\}\]", shown).group(1)
    top = shown
    for part in (summary, proposal, target, change):
        top = top.replace(part, "")
    assert set(real) == keys_of(top[1:-1])
    assert set(real["summary"]) == keys_of(summary)
    (served,) = real["proposals"]
    assert set(served) == keys_of(re.sub(r"serves: \[\{.*?\}\]", "serves", proposal))
    assert set(served["serves"][0]) == keys_of(serves)
    assert set(real["targets"][0]) == keys_of(target)
    assert keys_of(change) == {"check", "file", "line", "old", "new", "written", "why"}
