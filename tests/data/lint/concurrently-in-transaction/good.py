"""Concurrent index work, each statement on its own, in an autocommit block.

Revision ID: 0104
Revises:
"""

from alembic import op

revision = "0104"
down_revision = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "idx_users_email", "users", ["email"], postgresql_concurrently=True
        )
        op.execute("CREATE INDEX CONCURRENTLY idx_users_name ON users (name)")
        op.execute("CREATE INDEX CONCURRENTLY idx_users_phone ON users (phone)")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY idx_users_phone")
        op.execute("DROP INDEX CONCURRENTLY idx_users_name")
        op.drop_index("idx_users_email", table_name="users", postgresql_concurrently=True)
