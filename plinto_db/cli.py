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
    "capture",
    "doctor",
    "advise",
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
    else:  # its warnings (a rollback cut short by Ctrl-C) are not ours to show
        import logging

        logging.getLogger("psycopg").setLevel(logging.ERROR)


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


def _click_exceptions():
    """The exceptions of the click typer runs on: its own copy since typer 0.28."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def main() -> None:
    clicks = _click_exceptions()
    try:
        code = app(prog_name="plinto-db", standalone_mode=False)
    except getattr(clicks, "NoArgsIsHelpError", ()) as exc:  # `plinto-db`, `plinto-db server`
        print(exc.ctx.get_help() if exc.ctx else exc.format_message(), file=sys.stderr)
        sys.exit(int(ExitCode.USAGE))
    except clicks.UsageError as exc:  # a bad option or value: one line, like every error
        command = exc.ctx.command_path if exc.ctx else "plinto-db"
        print(f"plinto-db: error: {exc.format_message()} (see '{command} --help')", file=sys.stderr)
        sys.exit(int(ExitCode.USAGE))
    except clicks.ClickException as exc:
        print(f"plinto-db: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort as exc:  # Ctrl-C, or end of input at a prompt
        _traceback_if_debug()
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            print("plinto-db: interrupted", file=sys.stderr)
            sys.exit(int(ExitCode.INTERRUPTED))
        print("plinto-db: error: aborted (no answer)", file=sys.stderr)
        sys.exit(int(ExitCode.FAILED))
    except PlintoError as exc:
        _traceback_if_debug()
        print(f"plinto-db: error: {exc.message}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        _traceback_if_debug()
        print("plinto-db: interrupted", file=sys.stderr)
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # an unexpected bug: one line unless --debug
        _traceback_if_debug()
        print(
            f"plinto-db: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for details)",
            file=sys.stderr,
        )
        sys.exit(int(ExitCode.FAILED))
    if code == ExitCode.INTERRUPTED:  # typer turns a KeyboardInterrupt into Exit(130), silently
        print("plinto-db: interrupted", file=sys.stderr)
    sys.exit(code if isinstance(code, int) else 0)  # typer.Exit(n): its code


def _traceback_if_debug() -> None:
    """With --debug, the traceback too; the exit code stays what it would be without it."""
    if _debug["enabled"]:
        import traceback

        traceback.print_exc()
