"""`plinto-db server start|stop|status|dsn`: the embedded PostgreSQL server."""

import typer

from plinto_db import report
from plinto_db.commands.common import DataDirOption, FormatOption
from plinto_db.errors import ExitCode
from plinto_db.settings import resolve_data_dir

server_app = typer.Typer(
    help="Manage the embedded PostgreSQL server (used when no --dsn is configured).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@server_app.command("start")
def start(data_dir: DataDirOption = None) -> None:
    """Start the embedded server (initialising its data directory on first use)."""
    from plinto_db.server import embedded

    server = embedded.start(resolve_data_dir(data_dir), note=report.note)
    report.note(f"embedded PostgreSQL {server.version} running, pid {server.pid}")
    typer.echo(server.dsn())


@server_app.command("stop")
def stop(data_dir: DataDirOption = None) -> None:
    """Stop the embedded server."""
    from plinto_db.server import embedded

    folder = resolve_data_dir(data_dir)
    if embedded.stop(folder):
        report.note(f"stopped the embedded server in {folder}")
    else:
        report.note(f"the embedded server in {folder} was not running")


@server_app.command("status")
def status(
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
) -> None:
    """Show whether the embedded server runs. Exit code 0 when running, 1 when not."""
    from plinto_db.server import embedded

    current = embedded.status(resolve_data_dir(data_dir))
    document = {
        "data_dir": str(current.data_dir),
        "initialised": current.version is not None,
        "running": current.running,
        "pid": current.pid,
        "version": current.version,
        # None while it starts (crash recovery): the socket is not announced yet
        "dsn": current.dsn() if current.running and current.socket_dir is not None else None,
    }
    if fmt == report.OutputFormat.json:
        report.print_json(document)
    else:
        for key, value in document.items():
            typer.echo(f"{key:12} {'' if value is None else value}")
    if not current.running:
        raise typer.Exit(int(ExitCode.FAILED))


@server_app.command("dsn")
def dsn(data_dir: DataDirOption = None) -> None:
    """Print a connection string for the embedded server that psql accepts (starts it if needed)."""
    from plinto_db.server import embedded

    typer.echo(embedded.start(resolve_data_dir(data_dir), note=report.note).dsn())


def register(app: typer.Typer) -> None:
    app.add_typer(server_app, name="server")
