"""The index catalog (indexes/*.sql), applied by the same engine as `plinto-db apply`.

CREATE INDEX CONCURRENTLY cannot run inside a transaction (F1), so the work happens inside
`autocommit_block()`: alembic commits what came before (revision 0001 when upgrading in one
go), and the engine uses its own autocommit connections, one per build, with the advisory
lock, the ledger, drift detection and self-healing of `plinto-db apply`. Running it again
converges; a failure leaves no invalid index behind and alembic_version stays at 0001.

The catalog folder is `config.attributes["plinto_db.indexes"]` when set, else the usual
lookup (./indexes, then the bundled catalog). Drifted indexes are refused here too: use
`plinto-db apply --replace-drifted` deliberately, not from a migration.

Revision ID: 0002
Revises: 0001
"""

from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _inputs():
    from plinto_db.apply.run import load
    from plinto_db.resources import resolve_dir

    config = context.config
    dsn = config.attributes["plinto_db.dsn"]
    specs = load(resolve_dir("indexes", config.attributes.get("plinto_db.indexes")), None, None)
    return dsn, specs


def upgrade() -> None:
    from plinto_db import report
    from plinto_db.apply.executor import ExecOptions
    from plinto_db.apply.run import apply_catalog
    from plinto_db.errors import ExitCode, PlintoError

    dsn, specs = _inputs()
    with op.get_context().autocommit_block():
        result = apply_catalog(
            dsn,
            specs,
            options=ExecOptions(dsn=dsn, application_name="plinto-db migrate 0002"),
            wait_for_lock=True,
            note=report.note,
        )
    if result.exit_code != ExitCode.OK:
        failed = [
            f"{o.name}: {o.result} ({o.detail or o.action.reason})"
            for o in result.outcomes
            if str(o.result) not in ("done", "skipped")
        ]
        raise PlintoError(
            "revision 0002 did not converge: " + "; ".join(failed or list(result.remaining)),
            exit_code=result.exit_code,
        )
    changed = sum(1 for o in result.outcomes if str(o.result) == "done")
    report.note(f"revision 0002: {changed} index action(s), {len(specs)} catalog indexes valid")


def downgrade() -> None:
    from plinto_db.apply.drop import drop_catalog
    from plinto_db.apply.executor import ExecOptions
    from plinto_db.errors import PlintoError

    dsn, specs = _inputs()
    with op.get_context().autocommit_block():
        result = drop_catalog(
            dsn,
            specs,
            options=ExecOptions(dsn=dsn, application_name="plinto-db migrate 0002"),
            confirm=lambda names: True,
        )
    if not result.converged:
        failed = [
            f"{o.name}: {o.detail}"
            for o in result.outcomes
            if str(o.result) not in ("done", "skipped")
        ]
        raise PlintoError("downgrade of revision 0002 did not finish: " + "; ".join(failed))
