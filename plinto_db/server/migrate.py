"""Running the alembic environment in migrations/ programmatically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plinto_db.errors import UserError
from plinto_db.resources import resolve_dir
from plinto_db.server.snapshot import Change, change, snapshot


class SchemaConflict(UserError):
    """The database already holds tables the schema revision would create."""


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str | None
    changes: tuple[Change, ...] = ()  # what each revision that ran created and dropped

    @property
    def changed(self) -> bool:
        return self.before != self.after


def upgrade(dsn: str, target: str = "head", migrations: Path | None = None) -> MigrationResult:
    return _run(dsn, target, migrations, downgrade=False)


def downgrade(dsn: str, target: str = "base", migrations: Path | None = None) -> MigrationResult:
    return _run(dsn, target, migrations, downgrade=True)


def migrate_to(dsn: str, target: str, migrations: Path | None = None) -> MigrationResult:
    """Upgrade or downgrade, whichever reaches `target` from the current revision.

    An unknown target is named before anything runs; reaching the current revision runs
    nothing (not even alembic's creation of an empty alembic_version table).
    """
    config = _config(dsn, migrations)
    wanted = _resolve_target(config, target)
    current = current_revision(dsn, migrations)
    if wanted is not _RELATIVE and wanted == current:
        from plinto_db.pg.connect import connect

        connect(dsn).close()
        return MigrationResult(before=current, after=current)
    return _run(dsn, target, migrations, downgrade=_is_behind(config, target, current))


_RELATIVE = object()


def _resolve_target(config, target: str):
    """The revision id `target` names (None for base), or _RELATIVE for +1, -1, head-1..."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    if target == "base":
        return None
    if target == "head":
        return script.get_current_head()
    if any(sign in target for sign in "+-") or "@" in target:
        return _RELATIVE
    try:
        revision = script.get_revision(target)
    except Exception:  # alembic raises several kinds (unknown, ambiguous prefix)
        revision = None
    if revision is None:
        known = ", ".join(rev.revision for rev in reversed(list(script.walk_revisions())))
        raise UserError(f"unknown revision {target!r}: give head, base or one of {known}") from None
    return revision.revision


def current_revision(dsn: str, migrations: Path | None = None) -> str | None:
    from plinto_db.pg.connect import connection

    with connection(dsn) as conn:
        exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()[0]
        if not exists:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def revisions(migrations: Path | None = None) -> list[str]:
    """Revision ids from base to head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config("", migrations))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _is_behind(config, target: str, current: str | None) -> bool:
    if target == "base":
        return True
    if current is None or target == "head":
        return False
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    try:
        wanted = script.get_revision(target)
    except Exception as exc:
        raise UserError(f"unknown revision {target!r}: {exc}") from None
    ordered = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    return ordered.index(wanted.revision) < ordered.index(current)


def _config(dsn: str, migrations: Path | None):
    from alembic.config import Config

    folder = resolve_dir("migrations", migrations)
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    config.set_main_option("version_locations", str(folder / "versions"))
    config.attributes["plinto_db.dsn"] = dsn
    return config


def _run(dsn: str, target: str, migrations: Path | None, *, downgrade: bool) -> MigrationResult:
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    from plinto_db.pg.connect import connect, describe
    from plinto_db.pg.messages import server_message

    connect(dsn).close()  # fail early with a clean message when the server is unreachable
    config = _config(dsn, migrations)
    before = current_revision(dsn, migrations)
    try:
        changes = tuple(_steps(config, dsn, before, target, downgrade=downgrade))
    except CommandError as exc:
        raise UserError(f"migration to {target!r} failed: {exc}") from None
    except DBAPIError as exc:
        reason = server_message(exc.orig, detail=False) if exc.orig else str(exc)
        raise UserError(
            f"migration to {target!r} failed on {describe(dsn)}: {reason} (rolled back)"
        ) from None
    return MigrationResult(before, current_revision(dsn, migrations), changes)


def _steps(config, dsn: str, before: str | None, target: str, *, downgrade: bool):
    """Run the revisions one at a time, yielding what each created and dropped.

    A relative target (+1, -1, head-1) runs as one step, described as such.
    """
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    if _resolve_target(config, target) is _RELATIVE:
        revisions = [(target, None, f"to {target}")]
    elif downgrade:
        lower = None if target == "base" else target
        revisions = [
            (rev.down_revision or "base", rev.revision, _describe(rev))
            for rev in script.iterate_revisions(before, lower or "base")
        ]
    else:
        upper = script.get_current_head() if target == "head" else target
        revisions = [
            (rev.revision, rev.revision, _describe(rev))
            for rev in reversed(list(script.iterate_revisions(upper, before or "base")))
        ]
    state = snapshot(dsn)
    for step_target, revision, description in revisions:
        if downgrade:
            command.downgrade(config, step_target)
        else:
            command.upgrade(config, step_target)
        if revision is not None:  # a relative step names no revision to compare with
            _require_reached(dsn, None if step_target == "base" else step_target, description)
        after = snapshot(dsn)
        yield change(revision or step_target, description, state, after)
        state = after


def _require_reached(dsn: str, expected: str | None, description: str) -> None:
    """alembic returns quietly when the env.py does not run the migrations: never report a
    revision as run that the database does not record."""
    now = current_revision(dsn)
    if now != expected:
        shown = f"{expected} ({description})" if description else str(expected or "base")
        raise UserError(
            f"migration to {shown} did not take effect: the database records revision "
            f"{now or 'none'}; does the migrations folder's env.py run the migrations?"
        )


def _describe(revision) -> str:
    return (revision.doc or "").strip().splitlines()[0].rstrip(".") if revision.doc else ""
