"""The normalised shape of each catalog index, remembered between runs (see catalog/cache.py).

Keyed by everything that shape is a function of: the code that computed it, the server
version, the statement as rendered, the search_path, and the table's columns (name, type
with modifiers, collation, in order). A hit means this exact statement was built on an
identical table before, so the temporary-table normalisation (and its preflight) would give
the same answer.
"""

from __future__ import annotations

import dataclasses
import hashlib

from plinto_db.apply.state import IndexShape
from plinto_db.catalog import cache
from plinto_db.catalog.spec import IndexSpec


class ShapeCache:
    """key -> IndexShape fields, one JSON file per server version."""

    def __init__(self, server_version: int):
        self.name = f"shapes-{server_version}.json"
        self.enabled = cache.enabled()
        loaded = cache.read_json(self.name) if self.enabled else None
        self.entries: dict[str, dict] = loaded if isinstance(loaded, dict) else {}
        self.dirty = False

    @staticmethod
    def key(spec: IndexSpec, table_fingerprint: str, search_path: str) -> str:
        text = "\0".join(
            (
                cache.code_fingerprint(),
                spec.create_sql(False, name="x", table="t"),
                table_fingerprint,
                search_path,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def get(self, key: str) -> IndexShape | None:
        data = self.entries.get(key)
        if data is None:
            return None
        try:
            return IndexShape(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
            )
        except TypeError:
            return None

    def put(self, key: str, shape: IndexShape) -> None:
        data = dataclasses.asdict(shape)
        data["definition"] = ""
        self.entries[key] = data
        self.dirty = True

    def save(self) -> None:
        if self.enabled and self.dirty:
            cache.write_json(self.name, self.entries)
            self.dirty = False


def shape_to_dict(shape: IndexShape) -> dict:
    data = dataclasses.asdict(shape)
    data["definition"] = ""  # for messages only; not part of what makes two shapes equal
    return data


def shape_from_dict(data: dict) -> IndexShape | None:
    try:
        return IndexShape(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    except TypeError:  # written by other code: never trusted
        return None
