"""Options shared by every command that talks to a database, and resolving them to a DSN."""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db import report
from plinto_db.settings import resolve_target

DsnOption = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        help="libpq connection string or URL. Default: $PLINTO_DB_DSN, then $DATABASE_URL, "
        "then the embedded server.",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory of the embedded server. Default: $PLINTO_DB_DATA_DIR, then the "
        "user data directory.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    report.OutputFormat,
    typer.Option("--format", help="Output format.", case_sensitive=False),
]

_announced: set[str] = set()


def target_dsn(dsn: str | None, data_dir: Path | None, *, quiet: bool = False) -> str:
    """The DSN to use, starting the embedded server when no DSN is configured.

    Says once on stderr which server the command uses.
    """
    target = resolve_target(dsn, data_dir)
    if target.embedded:
        from plinto_db.server import embedded

        server = embedded.start(target.data_dir, note=(lambda _: None) if quiet else report.note)
        resolved = server.dsn()
        message = f"using the embedded PostgreSQL {server.version} in {target.data_dir}"
    else:
        from plinto_db.pg.connect import describe

        resolved = target.dsn
        message = f"using {describe(resolved)} (from {target.source})"
    if not quiet and resolved not in _announced:
        _announced.add(resolved)
        report.note(message)
    return resolved
