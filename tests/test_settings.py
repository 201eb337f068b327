"""Where to connect: flag, then PLINTO_DB_DSN, then DATABASE_URL, else embedded (pure)."""

from __future__ import annotations

from pathlib import Path

from plinto_db.settings import resolve_target


def test_flag_wins_over_environment(monkeypatch):
    monkeypatch.setenv("PLINTO_DB_DSN", "postgresql://env/db")
    target = resolve_target("postgresql://flag/db")
    assert (target.dsn, target.source) == ("postgresql://flag/db", "--dsn")


def test_plinto_db_dsn_wins_over_database_url(monkeypatch):
    monkeypatch.setenv("PLINTO_DB_DSN", "postgresql://mine/db")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app/db")
    assert resolve_target(None).source == "PLINTO_DB_DSN"


def test_database_url_driver_suffix_is_dropped(monkeypatch):
    monkeypatch.delenv("PLINTO_DB_DSN", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h:5433/app")
    target = resolve_target(None)
    assert (target.dsn, target.source) == ("postgresql://u@h:5433/app", "DATABASE_URL")


def test_embedded_default_and_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("PLINTO_DB_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PLINTO_DB_DATA_DIR", str(tmp_path / "env"))
    target = resolve_target(None)
    assert target.embedded and target.data_dir == tmp_path / "env"
    flagged = resolve_target(None, Path(tmp_path / "flag"))
    assert flagged.data_dir == tmp_path / "flag"
