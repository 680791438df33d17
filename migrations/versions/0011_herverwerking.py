"""replay and reprocessing by filter (issue 14, section 2)

`herverwerking`: one batch (action, filter, operator, status lopend | gepauzeerd | klaar, progress);
`herverwerking_item`: one row per selected message with its fate (uitkomst NULL until its chunk commits), so a
worker that starts after a crash or a pause carries on with the next open item.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "herverwerking",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actie", sa.String(length=32), nullable=False),
        sa.Column("nieuwe_verzending", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("totaal", sa.Integer(), nullable=False),
        sa.Column("verwerkt", sa.Integer(), nullable=False),
        sa.Column("gestart_door", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bijgewerkt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("klaar_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_herverwerking_status", "herverwerking", ["status", "id"])
    op.create_table(
        "herverwerking_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("herverwerking_id", sa.Integer(), nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("uitkomst", sa.String(length=24), nullable=True),
        sa.Column("toelichting", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("verwerkt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["herverwerking_id"], ["herverwerking.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_herverwerking_item_open", "herverwerking_item", ["herverwerking_id", "uitkomst", "id"])


def downgrade() -> None:
    op.drop_index("ix_herverwerking_item_open", table_name="herverwerking_item")
    op.drop_table("herverwerking_item")
    op.drop_index("ix_herverwerking_status", table_name="herverwerking")
    op.drop_table("herverwerking")
