"""The index catalog a check run pairs with, parsed in a background thread (CPU bound) while
the main thread waits on the server.

Without --indexes, a missing indexes/ folder just means no coverage; with --checks but without
--indexes, only ./indexes is looked at (never the bundled Plinto catalog).
"""

from __future__ import annotations

import threading
from pathlib import Path

from plinto_db.errors import UserError


class CatalogLoader:
    def __init__(self, path: Path | None, *, bundled: bool = True):
        from plinto_db.resources import resolve_dir

        self.folder: Path | None = None
        self._specs: tuple = ()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, daemon=True)
        if path is None and not bundled:
            local = Path.cwd() / "indexes"
            path = local if local.is_dir() and any(local.glob("*.sql")) else None
            if path is None:
                return
        try:
            self.folder = resolve_dir("indexes", path)
        except UserError:
            if path is not None:
                raise
        if self.folder is not None:
            self._thread.start()

    def _load(self) -> None:
        from plinto_db.catalog.cache import load_catalog_cached

        try:
            assert self.folder is not None
            self._specs = load_catalog_cached(self.folder)
        except BaseException as exc:  # re-raised in the main thread by get()
            self._error = exc

    def get(self) -> tuple:
        """The catalog's IndexSpecs (waits for the parse); () when there is no catalog."""
        if self.folder is None:
            return ()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._specs
