"""Index users.email.

Revision ID: 0101
Revises:
"""

from alembic import op

revision = "0101"
down_revision = None


def upgrade() -> None:
    op.create_index("idx_users_email", "users", ["email"])


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("idx_users_email", table_name="users", postgresql_concurrently=True)
