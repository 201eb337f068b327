"""Add users.nickname.

Revision ID: 0105
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0105"
down_revision = None


def upgrade() -> None:
    op.add_column("users", sa.Column("nickname", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("SET lock_timeout = '2s'")
    op.drop_column("users", "nickname")
