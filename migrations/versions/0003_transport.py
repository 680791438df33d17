"""transport: outbox deliveries, their attempts, and received envelopes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aflevering",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("endpoint", sa.String(length=255), nullable=False),
        sa.Column("credentials", sa.String(length=64), nullable=True),
        sa.Column("functie", sa.String(length=8), nullable=False),
        sa.Column("zender", sa.String(length=8), nullable=False),
        sa.Column("ontvanger", sa.String(length=8), nullable=False),
        sa.Column("envelop_id", sa.String(length=64), nullable=False),
        sa.Column("conversatie_id", sa.String(length=64), nullable=True),
        sa.Column("antwoord_op", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pogingen", sa.Integer(), nullable=False),
        sa.Column("volgende_poging_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("laatste_fout", sa.Text(), nullable=True),
        sa.Column("wachtrij_sinds", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("envelop_id", name="uq_aflevering_envelop"),
    )
    with op.batch_alter_table("aflevering", schema=None) as batch_op:
        batch_op.create_index("ix_aflevering_bericht", ["bericht_id"], unique=False)
        batch_op.create_index("ix_aflevering_due", ["status", "volgende_poging_at"], unique=False)

    op.create_table(
        "aflevering_poging",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("aflevering_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resultaat", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("fout", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["aflevering_id"], ["aflevering.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("aflevering_poging", schema=None) as batch_op:
        batch_op.create_index("ix_aflevering_poging_aflevering", ["aflevering_id", "id"], unique=False)

    op.create_table(
        "ontvangst",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("zender", sa.String(length=8), nullable=False),
        sa.Column("envelop_id", sa.String(length=64), nullable=False),
        sa.Column("conversatie_id", sa.String(length=64), nullable=True),
        sa.Column("functie", sa.String(length=8), nullable=True),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("zender", "envelop_id", name="uq_ontvangst_envelop"),
    )
    with op.batch_alter_table("ontvangst", schema=None) as batch_op:
        batch_op.create_index("ix_ontvangst_bericht", ["bericht_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ontvangst", schema=None) as batch_op:
        batch_op.drop_index("ix_ontvangst_bericht")
    op.drop_table("ontvangst")
    with op.batch_alter_table("aflevering_poging", schema=None) as batch_op:
        batch_op.drop_index("ix_aflevering_poging_aflevering")
    op.drop_table("aflevering_poging")
    with op.batch_alter_table("aflevering", schema=None) as batch_op:
        batch_op.drop_index("ix_aflevering_due")
        batch_op.drop_index("ix_aflevering_bericht")
    op.drop_table("aflevering")
