"""The data folders ship inside the package, and a local folder or an option wins."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from plinto_db.errors import UserError
from plinto_db.resources import resolve_dir

REPO = Path(__file__).resolve().parent.parent


def test_wheel_contains_indexes_checks_and_migrations(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("plinto_db-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("indexes", "checks"):
        shipped = {n for n in names if n.startswith(f"plinto_db/data/{folder}/")}
        on_disk = {f"plinto_db/data/{folder}/{p.name}" for p in (REPO / folder).glob("*.sql")}
        assert on_disk and shipped == on_disk
    assert "plinto_db/data/migrations/env.py" in names
    assert "plinto_db/data/migrations/versions/0001_plinto_schema.py" in names


def test_local_folder_wins_over_the_packaged_one(tmp_path, monkeypatch):
    (tmp_path / "indexes").mkdir()
    (tmp_path / "indexes" / "mine.sql").write_text("CREATE INDEX i ON t (a);\n")
    monkeypatch.chdir(tmp_path)
    assert resolve_dir("indexes") == tmp_path / "indexes"
    explicit = tmp_path / "elsewhere.sql"
    explicit.write_text("CREATE INDEX j ON t (b);\n")
    assert resolve_dir("indexes", explicit) == explicit


def test_packaged_folder_is_used_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (resolve_dir("migrations") / "env.py").is_file()
    assert any(resolve_dir("indexes").glob("*.sql"))


def test_missing_explicit_path_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        resolve_dir("checks", tmp_path / "nope")
