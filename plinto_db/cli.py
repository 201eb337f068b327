"""The `plinto-db` command line: options, exit codes, one use case per command.

Heavy imports (alembic, sqlalchemy, the engines) happen inside the commands that need them,
so `plinto-db --help` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer

from plinto_db import __version__
from plinto_db.errors import ExitCode, PlintoError

app = typer.Typer(
    name="plinto-db",
    help="PostgreSQL index work: apply an index catalog concurrently, prove query plans, "
    "seed realistic data, and manage an embedded server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: rich's help renderer doubles start-up time
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module exposes register(app); a module that does not exist yet is skipped.
COMMAND_MODULES = (
    "server",
    "migrate",
    "seed",
    "apply",
    "check",
    "doctor",
    "lint",
    "bench",
    "serve",
    "demo",
)

_debug = {"enabled": os.environ.get("PLINTO_DB_DEBUG", "") not in ("", "0")}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"plinto-db {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show Python tracebacks for errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    if debug:
        _debug["enabled"] = True


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"plinto_db.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"plinto_db.commands.{name}":
                continue
            raise
        module.register(app)


_register_commands()


def main() -> None:
    try:
        app()
    except PlintoError as exc:
        _traceback_if_debug()
        print(f"plinto-db: error: {exc.message}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        _traceback_if_debug()
        print("plinto-db: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # an unexpected bug: one line unless --debug
        _traceback_if_debug()
        print(
            f"plinto-db: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for details)",
            file=sys.stderr,
        )
        sys.exit(int(ExitCode.FAILED))


def _traceback_if_debug() -> None:
    """With --debug, the traceback too; the exit code stays what it would be without it."""
    if _debug["enabled"]:
        import traceback

        traceback.print_exc()
