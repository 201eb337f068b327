"""Which files are linted, and how each is read into statements.

Files and folders (searched recursively, hidden and virtualenv folders skipped): `*.sql`,
and `*.py` files that are alembic revisions (a top-level upgrade() using alembic's `op`).
A file that cannot be decoded or parsed is an issue at its location, never a crash.

The index catalog `plinto-db apply` reads (./indexes, the catalog bundled with plinto-db,
or a --catalog path) is declarative: apply decides how each index is built (concurrently,
outside a transaction, checking validity), so only the rules about what an index *is*
apply to it, not the rules about how a statement runs.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import plinto_db
from plinto_db.errors import UserError
from plinto_db.lint.alembic import is_revision, read_revision
from plinto_db.lint.context import RawStatement
from plinto_db.lint.model import Transaction
from plinto_db.lint.positions import undecodable_at
from plinto_db.lint.sqltext import Where, read_statements
from plinto_db.pg.sqlfile import read_sql_text

PARSE_ERROR = "parse-error"
UNREADABLE = "unreadable-file"
_SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})
_PACKAGE = Path(plinto_db.__file__).resolve().parent
# The folders `plinto-db apply` takes its catalog from when given none (resources.py).
_DEFAULT_CATALOGS = ("indexes", _PACKAGE / "data" / "indexes", _PACKAGE.parent / "indexes")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str  # as the user named it: the folder given, then the path below it
    explicit: bool  # named on the command line (not found in a folder)
    catalog: bool = False


@dataclass(frozen=True)
class Issue:
    rule: str
    line: int
    column: int
    message: str


@dataclass
class Loaded:
    """A file read: its units (a .sql file, or each upgrade()/downgrade()) and its issues."""

    kind: str  # "sql", "alembic", or "skipped" (a .py that is not an alembic revision)
    units: list[list[RawStatement]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    not_literal: list[tuple[int, int]] = field(default_factory=list)  # op.execute(<not a str>)


def discover(paths: Sequence[Path], catalogs: Sequence[Path] = ()) -> list[SourceFile]:
    for catalog in catalogs:  # a typo would lint the catalog's files as migrations
        if not Path(catalog).exists():
            raise UserError(f"--catalog {catalog}: no such file or folder")
    roots = [Path(c).resolve() for c in (*_DEFAULT_CATALOGS, *catalogs)]
    found: list[SourceFile] = []
    for given in paths:
        if not given.exists():
            raise UserError(f"{given}: no such file or folder")
        if given.is_dir():
            found += [_source(f, roots, explicit=False) for f in _walk(given)]
        elif given.suffix in (".sql", ".py"):
            found.append(_source(given, roots, explicit=True))
        else:
            raise UserError(f"{given}: not a .sql file or an alembic revision (.py)")
    unique: dict[Path, SourceFile] = {}
    for source in found:
        unique.setdefault(source.path.resolve(), source)
    return list(unique.values())


def _walk(folder: Path) -> Iterator[Path]:
    for directory, folders, files in os.walk(folder):
        folders[:] = sorted(
            f for f in folders if not f.startswith(".") and f not in _SKIPPED_FOLDERS
        )
        for name in sorted(files):
            if name.endswith((".sql", ".py")):
                yield Path(directory) / name


def _source(path: Path, roots: list[Path], explicit: bool) -> SourceFile:
    resolved = path.resolve()
    catalog = path.suffix == ".sql" and any(resolved.is_relative_to(r) for r in roots)
    return SourceFile(path, path.as_posix(), explicit, catalog)


def load(
    source: SourceFile, known_rules: Collection[str], assume_in_transaction: bool = False
) -> Loaded:
    if source.path.suffix == ".py":
        return _load_python(source, known_rules)
    try:
        text = read_sql_text(source.path)
    except UserError:
        return Loaded("sql", issues=[_unreadable(source.path)])
    transaction = None
    if assume_in_transaction and not source.catalog:
        transaction = Transaction(
            "the transaction the migration runner wraps each file in (--assume-in-transaction)",
            "move it to a file the runner runs outside a transaction",
        )
    sql = read_statements(text, Where(source.display, transaction=transaction), known_rules)
    issues = [Issue(PARSE_ERROR, p.line, p.column, p.message) for p in sql.problems]
    return Loaded("sql", [list(sql.statements)], issues)


def _load_python(source: SourceFile, known_rules: Collection[str]) -> Loaded:
    try:
        data = source.path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return Loaded("alembic", issues=[_unreadable(source.path)])
    if "def upgrade" not in text:
        return _not_a_revision(source)
    try:
        tree = ast.parse(text, filename=str(source.path))
    except SyntaxError as exc:
        issue = Issue(PARSE_ERROR, exc.lineno or 1, exc.offset or 1, f"Python: {exc.msg}")
        return Loaded("alembic", issues=[issue])
    if not is_revision(tree):
        return _not_a_revision(source)
    loaded = Loaded("alembic")
    for scope in read_revision(tree, text.removeprefix("\ufeff"), source.display, known_rules):
        loaded.units.append(scope.statements)
        loaded.issues += [Issue(PARSE_ERROR, p.line, p.column, p.message) for p in scope.problems]
        loaded.not_literal += scope.skipped
    return loaded


def _not_a_revision(source: SourceFile) -> Loaded:
    if source.explicit:
        raise UserError(
            f"{source.display}: not an alembic revision (no upgrade() using alembic's op)"
        )
    return Loaded("skipped")


def _unreadable(path: Path) -> Issue:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Issue(UNREADABLE, 1, 1, f"cannot read the file: {exc.strerror or exc}")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
    else:  # valid UTF-8: a Python file whose coding declaration could not be used
        return Issue(UNREADABLE, 1, 1, "cannot decode the file with its declared encoding")
    line, column = undecodable_at(data, start)
    return Issue(
        UNREADABLE,
        line,
        column,
        f"not UTF-8 (byte 0x{data[start]:02x}); save the file as UTF-8 to lint it",
    )
