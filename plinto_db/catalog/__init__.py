"""The index catalog: CREATE INDEX statements in .sql files, read into frozen IndexSpecs."""

from plinto_db.catalog.parse import load_catalog
from plinto_db.catalog.spec import IndexKey, IndexSpec

__all__ = ["IndexKey", "IndexSpec", "load_catalog"]
