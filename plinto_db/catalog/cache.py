"""A local cache for the two costly, deterministic steps of a no-op apply.

1. The parsed catalog, keyed by the exact bytes and names of its .sql files.
2. The PostgreSQL-normalised shape of each catalog index, keyed by everything that shape is a
   function of: the server version, the statement as rendered, the search_path, and the
   table's columns (name, type with modifiers, collation, in order). A hit means this exact
   statement was built on an identical table before, so the temporary-table normalisation
   (and its preflight) would give the same answer.

JSON files under $PLINTO_DB_CACHE_DIR or the user cache directory; `PLINTO_DB_NO_CACHE=1`
disables it. Any problem reading or writing the cache is ignored: it is only a shortcut.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path

from plinto_db import __version__
from plinto_db.catalog.spec import IndexKey, IndexSpec

FORMAT = 3


def enabled() -> bool:
    return os.environ.get("PLINTO_DB_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    configured = os.environ.get("PLINTO_DB_CACHE_DIR")
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("plinto-db", appauthor=False))


def _read(name: str) -> object | None:
    try:
        return json.loads((cache_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(name: str, data: object) -> None:
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, folder / name)
    except OSError:
        pass


# -- parsed catalog --------------------------------------------------------------------------


def load_catalog_cached(path: Path) -> tuple[IndexSpec, ...]:
    from plinto_db.catalog import load_catalog

    if not enabled():
        return load_catalog(path)
    key = _catalog_key(path)
    if key is None:
        return load_catalog(path)
    name = f"catalog-{key}.json"
    cached = _read(name)
    if isinstance(cached, list):
        try:
            return tuple(_spec_from(item) for item in cached)
        except (KeyError, TypeError, ValueError):
            pass
    specs = load_catalog(path)
    _write(name, [_spec_to(s) for s in specs])
    return specs


def _catalog_key(path: Path) -> str | None:
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{path}\0".encode())
    try:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix == ".sql" and p.is_file())
        else:
            files = [path]
        for file in files:
            digest.update(f"{file.name}\0".encode())
            digest.update(file.read_bytes())
            digest.update(b"\0")
    except OSError:
        return None
    return digest.hexdigest()[:32]


def _spec_to(spec: IndexSpec) -> dict:
    data = dataclasses.asdict(spec)
    data["file"] = str(spec.file)
    return data


def _spec_from(data: dict) -> IndexSpec:
    data = dict(data)
    data["file"] = Path(data["file"])
    data["keys"] = tuple(IndexKey(**k) for k in data["keys"])
    data["include"] = tuple(data["include"])
    data["with_options"] = tuple(tuple(o) for o in data["with_options"])
    return IndexSpec(**data)


# -- normalised shapes -----------------------------------------------------------------------


class ShapeCache:
    """key -> IndexShape fields, one JSON file per server version."""

    def __init__(self, server_version: int):
        self.name = f"shapes-{server_version}.json"
        self.enabled = enabled()
        loaded = _read(self.name) if self.enabled else None
        self.entries: dict[str, dict] = loaded if isinstance(loaded, dict) else {}
        self.dirty = False

    @staticmethod
    def key(spec: IndexSpec, table_fingerprint: str, search_path: str) -> str:
        text = "\0".join(
            (
                str(FORMAT),
                spec.create_sql(False, name="x", table="t"),
                table_fingerprint,
                search_path,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def get(self, key: str):
        from plinto_db.apply.introspect import IndexShape

        data = self.entries.get(key)
        if data is None:
            return None
        try:
            return IndexShape(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
            )
        except TypeError:
            return None

    def put(self, key: str, shape) -> None:
        data = dataclasses.asdict(shape)
        data["definition"] = ""
        self.entries[key] = data
        self.dirty = True

    def save(self) -> None:
        if self.enabled and self.dirty:
            _write(self.name, self.entries)
            self.dirty = False
