"""`plinto-db seed`: fill the Plinto tables with realistic, deterministic data."""

from typing import Annotated

import typer

from plinto_db import report
from plinto_db.commands.common import DataDirOption, DsnOption, FormatOption
from plinto_db.errors import ExitCode, UserError

DEFAULT_USERS = 50_000  # mirrors plinto_db.seed.DEFAULT_USERS (not imported: keeps --help fast)
DEFAULT_HISTORY = 16


def seed(
    users: Annotated[
        int, typer.Option("--users", help="Registered users U; other tables scale from U.")
    ] = DEFAULT_USERS,
    seed_value: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")
    ] = 42,
    history_per_user: Annotated[
        int,
        typer.Option(
            "--history-per-user",
            help="activity_logs and audit_logs rows per user (~100 is a year of production).",
        ),
    ] = DEFAULT_HISTORY,
    reset: Annotated[
        bool,
        typer.Option("--reset", help="TRUNCATE the 17 tables first (else refuse if any has rows)."),
    ] = False,
    vacuum: Annotated[
        bool,
        typer.Option(
            "--vacuum/--no-vacuum",
            help="Finish with VACUUM (ANALYZE) (visibility maps set, as in production), "
            "or ANALYZE only.",
        ),
    ] = True,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
) -> None:
    """Fill the 17 Plinto tables with realistic data, deterministic per --seed; then ANALYZE."""
    if users <= 0:
        raise UserError(f"--users must be a positive number of users, got {users}")
    if history_per_user < 0:
        raise UserError(f"--history-per-user must be 0 or more, got {history_per_user}")
    from plinto_db.commands.common import target_dsn
    from plinto_db.report.seed import SeedProgress, render_seed
    from plinto_db.seed.run import run_seed

    target = target_dsn(dsn, data_dir)
    with SeedProgress(report.interactive(fmt)) as bar:
        result = run_seed(
            target,
            users=users,
            seed=seed_value,
            history_per_user=history_per_user,
            reset=reset,
            progress=bar,
            vacuum=vacuum,
        )
    render_seed(result, fmt, users=users, seed=seed_value, history=history_per_user)
    raise typer.Exit(int(ExitCode.OK))


def register(app: typer.Typer) -> None:
    app.command("seed")(seed)
