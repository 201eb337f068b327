"""Index users.email concurrently; index a new table plainly.

Revision ID: 0102
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0102"
down_revision = None


def upgrade() -> None:
    op.create_table("audit_events", sa.Column("id", sa.BigInteger, primary_key=True))
    op.create_index("idx_audit_events_id", "audit_events", ["id"])
    with op.get_context().autocommit_block():
        op.create_index(
            "idx_users_email", "users", ["email"], postgresql_concurrently=True
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("idx_users_email", table_name="users", postgresql_concurrently=True)
    op.drop_table("audit_events")
