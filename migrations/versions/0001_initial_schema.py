"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 23:30:08.308857
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=8), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=True),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("hash"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_bericht", ["bericht_id", "seq"], unique=False)

    op.create_table(
        "bericht",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("berichttype", sa.String(length=8), nullable=True),
        sa.Column("berichtcode", sa.String(length=3), nullable=True),
        sa.Column("afzender", sa.String(length=8), nullable=True),
        sa.Column("ontvanger", sa.String(length=8), nullable=True),
        sa.Column("verzender", sa.String(length=8), nullable=True),
        sa.Column("adressaat", sa.String(length=8), nullable=True),
        sa.Column("identificatie", sa.String(length=64), nullable=True),
        sa.Column("dagtekening", sa.Date(), nullable=True),
        sa.Column("richting", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gelezen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("antwoord_op_id", sa.String(length=36), nullable=True),
        sa.Column("conversatie_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["antwoord_op_id"],
            ["bericht.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bericht", schema=None) as batch_op:
        batch_op.create_index("ix_bericht_adressaat", ["adressaat", "gelezen_at"], unique=False)
        batch_op.create_index("ix_bericht_antwoord_op", ["antwoord_op_id"], unique=False)
        batch_op.create_index("ix_bericht_conversatie", ["conversatie_id"], unique=False)
        batch_op.create_index("ix_bericht_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_bericht_dedupe", ["submitted_by", "sha256"], unique=False)
        batch_op.create_index("ix_bericht_identificatie", ["identificatie"], unique=False)
        batch_op.create_index("ix_bericht_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_bericht_type_created", ["berichttype", "created_at"], unique=False)
        batch_op.create_index("ix_bericht_verzender", ["verzender", "created_at"], unique=False)

    op.create_table(
        "bericht_sleutel",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bericht_sleutel", schema=None) as batch_op:
        batch_op.create_index("ix_sleutel_bericht", ["bericht_id"], unique=False)
        batch_op.create_index("ix_sleutel_kind_value", ["kind", "value"], unique=False)

    op.create_table(
        "bevinding",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("retourcode", sa.String(length=8), nullable=True),
        sa.Column("locatie", sa.JSON(), nullable=False),
        sa.Column("melding", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bevinding", schema=None) as batch_op:
        batch_op.create_index("ix_bevinding_bericht", ["bericht_id"], unique=False)
        batch_op.create_index("ix_bevinding_code", ["code", "bericht_id"], unique=False)
        batch_op.create_index("ix_bevinding_retourcode", ["retourcode"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("endpoint", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("envelope_id", sa.String(length=64), nullable=True),
        sa.Column("conversatie_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bericht_id"],
            ["bericht.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("envelope_id", name="uq_delivery_envelope"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_bericht", ["bericht_id"], unique=False)
        batch_op.create_index("ix_delivery_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "identificatie_claim",
        sa.Column("afzender", sa.String(length=8), nullable=False),
        sa.Column("berichtcode", sa.String(length=3), nullable=False),
        sa.Column("identificatie", sa.String(length=64), nullable=False),
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["bericht_id"],
            ["bericht.id"],
        ),
        sa.PrimaryKeyConstraint("afzender", "berichtcode", "identificatie"),
    )


def downgrade() -> None:
    op.drop_table("identificatie_claim")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_due")
        batch_op.drop_index("ix_delivery_bericht")

    op.drop_table("delivery")
    with op.batch_alter_table("bevinding", schema=None) as batch_op:
        batch_op.drop_index("ix_bevinding_retourcode")
        batch_op.drop_index("ix_bevinding_code")
        batch_op.drop_index("ix_bevinding_bericht")

    op.drop_table("bevinding")
    with op.batch_alter_table("bericht_sleutel", schema=None) as batch_op:
        batch_op.drop_index("ix_sleutel_kind_value")
        batch_op.drop_index("ix_sleutel_bericht")

    op.drop_table("bericht_sleutel")
    with op.batch_alter_table("bericht", schema=None) as batch_op:
        batch_op.drop_index("ix_bericht_verzender")
        batch_op.drop_index("ix_bericht_type_created")
        batch_op.drop_index("ix_bericht_status_created")
        batch_op.drop_index("ix_bericht_identificatie")
        batch_op.drop_index("ix_bericht_dedupe")
        batch_op.drop_index("ix_bericht_created")
        batch_op.drop_index("ix_bericht_conversatie")
        batch_op.drop_index("ix_bericht_antwoord_op")
        batch_op.drop_index("ix_bericht_adressaat")

    op.drop_table("bericht")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_bericht")

    op.drop_table("audit_event")
    op.drop_table("api_key")
