"""sessions.user_id references users, validated without blocking writes.

Revision ID: 0108
Revises:
"""

from alembic import op

revision = "0108"
down_revision = None


def upgrade() -> None:
    op.execute("SET lock_timeout = '2s'")
    op.create_foreign_key(
        "fk_sessions_user",
        "sessions",
        "users",
        ["user_id"],
        ["id"],
        postgresql_not_valid=True,
    )
    op.execute("ALTER TABLE sessions VALIDATE CONSTRAINT fk_sessions_user")
