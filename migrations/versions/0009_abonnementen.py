"""webhooks and the event stream: subscriptions, events and their deliveries

`abonnement`: a party's (or, partij NULL, an administrator's) webhook URL, the event types and berichttypen it
wants, its signing secret and whether it is paused (with why). `gebeurtenis`: what happened, with links only
(never message bytes, never a Bsn); its growing id is the SSE stream's event id. `webhook_aflevering`: one
event to one subscription, leased and retried like the outbox's `aflevering`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "abonnement",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partij", sa.String(length=8), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("gebeurtenissen", sa.JSON(), nullable=False),
        sa.Column("berichttypen", sa.JSON(), nullable=False),
        sa.Column("geheim", sa.String(length=128), nullable=False),
        sa.Column("gepauzeerd", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("reden", sa.Text(), nullable=True),
        sa.Column("fouten_op_rij", sa.Integer(), server_default="0", nullable=False),
        sa.Column("aangemaakt_door", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_abonnement_partij", "abonnement", ["partij"])
    op.create_table(
        "gebeurtenis",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("partij", sa.String(length=8), nullable=True),
        sa.Column("berichttype", sa.String(length=8), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gebeurtenis_partij", "gebeurtenis", ["partij", "id"])
    op.create_table(
        "webhook_aflevering",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("abonnement_id", sa.Integer(), nullable=False),
        sa.Column("gebeurtenis_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pogingen", sa.Integer(), nullable=False),
        sa.Column("volgende_poging_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("laatste_fout", sa.Text(), nullable=True),
        sa.Column("laatste_http_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["abonnement_id"], ["abonnement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["gebeurtenis_id"], ["gebeurtenis.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_aflevering_due", "webhook_aflevering", ["status", "volgende_poging_at"])
    op.create_index("ix_webhook_aflevering_abonnement", "webhook_aflevering", ["abonnement_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_aflevering")
    op.drop_table("gebeurtenis")
    op.drop_table("abonnement")
