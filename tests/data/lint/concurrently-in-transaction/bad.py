"""Concurrent index work where alembic's transaction is still open.

Revision ID: 0103
Revises:
"""

from alembic import op

revision = "0103"
down_revision = None


def upgrade() -> None:
    op.create_index("idx_users_email", "users", ["email"], postgresql_concurrently=True)
    with op.get_context().autocommit_block():
        op.execute(
            """
            CREATE INDEX CONCURRENTLY idx_users_name ON users (name);
            CREATE INDEX CONCURRENTLY idx_users_phone ON users (phone);
            """
        )


def downgrade() -> None:
    op.execute("DROP INDEX CONCURRENTLY idx_users_email")
