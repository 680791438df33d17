"""facts for cross-message rules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:39:13.675385
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("soort", sa.String(length=32), nullable=False),
        sa.Column("sleutel", sa.String(length=160), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feit", schema=None) as batch_op:
        batch_op.create_index("ix_feit_bericht", ["bericht_id"], unique=False)
        batch_op.create_index("ix_feit_soort_sleutel", ["soort", "sleutel", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feit", schema=None) as batch_op:
        batch_op.drop_index("ix_feit_soort_sleutel")
        batch_op.drop_index("ix_feit_bericht")

    op.drop_table("feit")
