"""A local cache of the parsed catalog (and, for apply, of normalised index shapes).

Entries are JSON files under $PLINTO_DB_CACHE_DIR or the user cache directory;
`PLINTO_DB_NO_CACHE=1` disables the cache. Every key includes the fingerprint of the code
that wrote the entry, so a changed plinto-db never reuses what an older one cached. Any
problem reading or writing is ignored: the cache is only a shortcut.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path

from plinto_db.catalog.spec import IndexKey, IndexSpec

PACKAGE = Path(__file__).resolve().parent.parent


def enabled() -> bool:
    return os.environ.get("PLINTO_DB_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    configured = os.environ.get("PLINTO_DB_CACHE_DIR")
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("plinto-db", appauthor=False))


@cache
def code_fingerprint() -> str:
    """A hash of the package's own source files, computed once per install.

    The files' names, sizes and modification times select a remembered hash; only when
    they change (a new install, an edited checkout) are the files read and hashed again.
    """
    files = sorted(PACKAGE.rglob("*.py"))
    stamp = hashlib.sha256()
    for file in files:
        info = file.stat()
        stamp.update(f"{file.relative_to(PACKAGE)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    remembered = f"code-{stamp.hexdigest()[:32]}.txt"
    known = read_text(remembered)
    if known:
        return known
    content = hashlib.sha256()
    for file in files:
        content.update(f"{file.relative_to(PACKAGE)}\0".encode())
        content.update(file.read_bytes())
    fingerprint = content.hexdigest()[:32]
    write_text(remembered, fingerprint)
    return fingerprint


def read_json(name: str) -> object | None:
    text = read_text(name)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def read_text(name: str) -> str | None:
    try:
        return (cache_dir() / name).read_text(encoding="utf-8")
    except OSError:
        return None


def write_json(name: str, data: object) -> None:
    write_text(name, json.dumps(data))


def write_text(name: str, text: str) -> None:
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, folder / name)
    except OSError:
        pass


def load_catalog_cached(path: Path) -> tuple[IndexSpec, ...]:
    """load_catalog, remembered by the exact bytes and names of the catalog's files."""
    from plinto_db.catalog.parse import load_catalog

    if not enabled():
        return load_catalog(path)
    key = _catalog_key(path)
    if key is None:
        return load_catalog(path)
    name = f"catalog-{key}.json"
    cached = read_json(name)
    if isinstance(cached, list):
        try:
            return tuple(_spec_from(item) for item in cached)
        except (KeyError, TypeError, ValueError):
            pass
    specs = load_catalog(path)
    write_json(name, [_spec_to(s) for s in specs])
    return specs


def _catalog_key(path: Path) -> str | None:
    digest = hashlib.sha256(f"{code_fingerprint()}\0{path}\0".encode())
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
