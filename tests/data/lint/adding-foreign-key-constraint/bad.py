"""sessions.user_id references users.

Revision ID: 0107
Revises:
"""

from alembic import op

revision = "0107"
down_revision = None


def upgrade() -> None:
    op.execute("SET lock_timeout = '2s'")
    op.create_foreign_key("fk_sessions_user", "sessions", "users", ["user_id"], ["id"])
