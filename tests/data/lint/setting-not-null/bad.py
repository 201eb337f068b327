"""users.email is required.

Revision ID: 0109
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0109"
down_revision = None


def upgrade() -> None:
    op.execute("SET lock_timeout = '2s'")
    op.alter_column("users", "email", existing_type=sa.String(255), nullable=False)
