"""Alembic revision 0002: the catalog through the same engine, inside autocommit_block()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_apply import catalog_indexes

from plinto_db.server.migrate import current_revision, downgrade, upgrade

REPO = Path(__file__).resolve().parent.parent


def test_upgrade_from_base_builds_schema_and_all_45_then_downgrade_drops_them(new_db):
    dsn = new_db("empty")
    upgrade(dsn, "head")
    assert current_revision(dsn) == "0002"
    indexes = catalog_indexes(dsn)
    assert len(indexes) == 45 and all(valid for _, _, valid in indexes.values())

    upgrade(dsn, "head")  # a no-op: nothing rebuilt
    assert catalog_indexes(dsn) == indexes

    downgrade(dsn, "0001")
    assert current_revision(dsn) == "0001"
    assert catalog_indexes(dsn) == {}


def test_plain_alembic_upgrade_head(new_db):
    dsn = new_db("schema")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            str(REPO / "migrations" / "alembic.ini"),
            "-x",
            f"dsn={dsn}",
            "upgrade",
            "head",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert current_revision(dsn) == "0002"
    indexes = catalog_indexes(dsn)
    assert len(indexes) == 45 and all(valid for _, _, valid in indexes.values())
