"""users.public_id.

Revision ID: 0110
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0110"
down_revision = None


def upgrade() -> None:
    op.execute("SET lock_timeout = '2s'")
    op.add_column(
        "users",
        sa.Column("public_id", sa.Uuid(), server_default=sa.text("gen_random_uuid()")),
    )
