"""Add users.nickname.

Revision ID: 0106
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0106"
down_revision = None


def upgrade() -> None:
    op.execute("SET lock_timeout = '2s'")
    op.add_column("users", sa.Column("nickname", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.drop_column("users", "nickname")
