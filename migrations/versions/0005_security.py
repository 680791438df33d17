"""security: server-side console sessions, keyed audit chain, bounded storage of refused bodies

- `beheer_sessie`: a console session exists only while its row does, so sign-out, key revocation and a role
  change end it (a signed cookie alone cannot be taken back).
- `audit_event.mac`: an HMAC over the event's hash with a key kept outside the database (IWMO_AUDIT_KEY), so a
  chain rewritten and re-hashed by someone with write access to the database is still caught.
- `bericht.ingekort`: for an oversize or unreadable body only a bounded prefix is kept in `raw` (the digest and
  size describe the whole); `bericht.geclaimde_afzender`: the Afzender a message claims when it is not the
  authenticated party that submitted it (the row belongs to the caller, the claim is evidence only).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "beheer_sessie",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("sleutel_id", sa.Integer(), nullable=False),
        sa.Column("rol", sa.String(length=16), nullable=False),
        sa.Column("aangemaakt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verloopt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beeindigd_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_beheer_sessie_sleutel", "beheer_sessie", ["sleutel_id"])
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    with op.batch_alter_table("bericht") as batch:
        batch.add_column(sa.Column("ingekort", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("geclaimde_afzender", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bericht") as batch:
        batch.drop_column("geclaimde_afzender")
        batch.drop_column("ingekort")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("mac")
    op.drop_index("ix_beheer_sessie_sleutel", table_name="beheer_sessie")
    op.drop_table("beheer_sessie")
