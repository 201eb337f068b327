"""The local cache of parsed catalogs and normalised shapes (pure, no server)."""

from __future__ import annotations

from pathlib import Path

from plinto_db.apply.shape_cache import ShapeCache
from plinto_db.apply.state import IndexShape
from plinto_db.catalog import cache as catalog_cache
from plinto_db.catalog import load_catalog

INDEXES = Path(__file__).resolve().parent.parent / "indexes"


def test_cached_catalog_equals_parsed_and_follows_edits(tmp_path, monkeypatch):
    monkeypatch.setenv("PLINTO_DB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PLINTO_DB_NO_CACHE", raising=False)
    first = catalog_cache.load_catalog_cached(INDEXES)
    assert list((tmp_path / "cache").glob("catalog-*.json"))
    second = catalog_cache.load_catalog_cached(INDEXES)  # from the cache
    assert second == first == load_catalog(INDEXES)
    assert [s.create_sql() for s in second] == [s.create_sql() for s in first]
    assert second[0].file == first[0].file and second[0].line == first[0].line

    catalog = tmp_path / "one.sql"
    catalog.write_text("CREATE INDEX a ON t (x);\n")
    assert catalog_cache.load_catalog_cached(catalog)[0].keys[0].column == "x"
    catalog.write_text("CREATE INDEX a ON t (y DESC);\n")  # an edit is never served stale
    (spec,) = catalog_cache.load_catalog_cached(catalog)
    assert spec.keys[0].column == "y" and spec.keys[0].descending


def test_shape_cache_round_trip_and_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("PLINTO_DB_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("PLINTO_DB_NO_CACHE", raising=False)
    spec = load_catalog(INDEXES)[0]
    shape = IndexShape(
        "btree",
        False,
        False,
        2,
        ("email", "status"),
        ("a", "b"),
        ("", ""),
        (0, 0),
        "x",
        (),
        "CREATE INDEX ...",
    )
    cache = ShapeCache(180006)
    key = cache.key(spec, "email varchar(255) 100", "public")
    assert cache.key(spec, "email varchar(200) 100", "public") != key  # column type matters
    assert cache.key(spec, "email varchar(255) 100", "app, public") != key
    assert cache.get(key) is None
    cache.put(key, shape)
    cache.save()
    again = ShapeCache(180006).get(key)
    assert again == shape  # definition text is not part of equality
    assert ShapeCache(150018).get(key) is None  # per server version


def test_cache_can_be_disabled(tmp_path, monkeypatch):
    monkeypatch.setenv("PLINTO_DB_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PLINTO_DB_NO_CACHE", "1")
    catalog_cache.load_catalog_cached(INDEXES)
    assert not list(tmp_path.iterdir())


def test_a_change_in_the_code_changes_every_cache_key(tmp_path, monkeypatch):
    """Entries written by other code are never reused: the keys carry the code's hash."""
    monkeypatch.setenv("PLINTO_DB_CACHE_DIR", str(tmp_path / "cache"))
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 2\n")
    monkeypatch.setattr(catalog_cache, "PACKAGE", package)
    catalog_cache.code_fingerprint.cache_clear()
    first = catalog_cache.code_fingerprint()
    catalog_cache.code_fingerprint.cache_clear()
    assert catalog_cache.code_fingerprint() == first  # remembered: same files, same hash
    (package / "sub" / "b.py").write_text("B = 3\n")
    catalog_cache.code_fingerprint.cache_clear()
    changed = catalog_cache.code_fingerprint()
    catalog_cache.code_fingerprint.cache_clear()
    assert changed != first
    spec = load_catalog(INDEXES)[0]
    monkeypatch.setattr(catalog_cache, "code_fingerprint", lambda: first)
    old_key = ShapeCache.key(spec, "cols", "public")
    monkeypatch.setattr(catalog_cache, "code_fingerprint", lambda: changed)
    assert ShapeCache.key(spec, "cols", "public") != old_key
