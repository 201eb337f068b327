"""`plinto-db migrate`: the Plinto schema through alembic."""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db import report
from plinto_db.commands.common import DataDirOption, DsnOption, FormatOption


def migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Target revision: head, base, or a revision id (0001 = the schema, "
            "0002 = the index catalog). Upgrades or downgrades as needed.",
        ),
    ] = "head",
    migrations: Annotated[
        Path | None,
        typer.Option("--migrations", help="Alembic folder to use instead of the bundled one."),
    ] = None,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
) -> None:
    """Create (or remove) the Plinto schema with alembic. Running it twice is a no-op."""
    from plinto_db.report.migrate import render_migrate
    from plinto_db.server.migrate import migrate_to

    target = target_dsn_for(dsn, data_dir)
    result = migrate_to(target, to, migrations)
    render_migrate(result, fmt)


def target_dsn_for(dsn: str | None, data_dir: Path | None) -> str:
    from plinto_db.commands.common import target_dsn

    return target_dsn(dsn, data_dir)


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)
