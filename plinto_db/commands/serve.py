"""`plinto-db serve`: the companion API, a benchmark target for the workload in checks/."""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db.commands.common import DataDirOption, DsnOption

DEFAULT_HOST = "127.0.0.1"  # mirrors plinto_db.api.runner (not imported: keeps --help fast)
DEFAULT_PORT = 8000
DEFAULT_POOL_SIZE = 8


def serve(
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on. Only this machine by default."),
    ] = DEFAULT_HOST,
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on; 0 picks a free one.")
    ] = DEFAULT_PORT,
    workers: Annotated[int, typer.Option("--workers", help="uvicorn worker processes.")] = 1,
    checks: Annotated[
        Path | None,
        typer.Option(
            "--checks", help="Folder (or one file) of check .sql files. Default: checks/."
        ),
    ] = None,
    pool_size: Annotated[
        int,
        typer.Option("--pool-size", help="Database connections per worker (a fixed-size pool)."),
    ] = DEFAULT_POOL_SIZE,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Serve every check query as GET /q/{check}, Plinto's flows under /flow/{name}, /health and
    /metrics, until Ctrl-C. A benchmark target, not an authentication server: no authentication,
    writes rolled back, 127.0.0.1 unless --host says otherwise. Exit 2: bad input, or a database
    without the schema or data the checks need."""
    from plinto_db import report
    from plinto_db.api.prepare import prepare_state
    from plinto_db.api.runner import require_free
    from plinto_db.api.runner import serve as run
    from plinto_db.check.workload import load_workload
    from plinto_db.commands.common import target_dsn
    from plinto_db.errors import UserError
    from plinto_db.resources import resolve_dir

    if workers < 1:
        raise UserError(f"--workers must be 1 or more, got {workers}")
    if pool_size < 1:
        raise UserError(f"--pool-size must be 1 or more, got {pool_size}")
    if not 0 <= port <= 65535:
        raise UserError(f"--port must be between 0 and 65535, got {port}")
    if port:  # a bad --host or a port in use is named before the database is read
        require_free(host, port)
    checks_dir = resolve_dir("checks", checks)
    workload = load_workload(checks_dir)
    state = prepare_state(target_dsn(dsn, data_dir), workload, checks_dir)
    run(state, host=host, port=port, workers=workers, pool_size=pool_size, note=report.note)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
