"""Where the data folders (indexes/, checks/, migrations/) are found.

An explicit path wins; then a folder of that name in the working directory; then the copy
shipped inside the package, so a plain `pip install .` works from any directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from plinto_db.errors import UserError

DataKind = Literal["indexes", "checks", "migrations"]

PACKAGE_DATA = Path(__file__).parent / "data"
SOURCE_TREE = Path(__file__).parent.parent


def resolve_dir(kind: DataKind, override: Path | None = None) -> Path:
    if override is not None:
        if not override.exists():
            raise UserError(f"{override}: no such file or folder (given for {kind})")
        if kind == "migrations" and not _looks_like(kind, override):
            raise UserError(f"{override}: not an alembic folder (it has no env.py)")
        return override
    for candidate in (Path.cwd() / kind, PACKAGE_DATA / kind, SOURCE_TREE / kind):
        if candidate.is_dir() and _looks_like(kind, candidate):
            if kind == "migrations" and not _is_plinto_environment(candidate):
                continue  # an application's own ./migrations: never picked up implicitly
            return candidate
    raise UserError(f"cannot find the {kind}/ folder: pass its path explicitly")


def _is_plinto_environment(folder: Path) -> bool:
    """An alembic env.py that reads the DSN plinto-db hands it (config.attributes).

    Other environments (an application's alembic or Flask-Migrate folder) ignore --dsn and
    would migrate whatever database they are configured for.
    """
    try:
        return "plinto_db.dsn" in (folder / "env.py").read_text(errors="replace")
    except OSError:
        return False


def _looks_like(kind: DataKind, folder: Path) -> bool:
    if kind == "migrations":
        return (folder / "env.py").is_file()
    return any(folder.glob("*.sql"))
