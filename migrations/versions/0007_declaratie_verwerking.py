"""declaratie cycle: how a WMO323 was processed (IV087) and the gateway's own refusals in it

One row per received WMO323 that passed its XSD: `verwerking` is `volledig` (no fault: every prestatie waits for
the gemeente's decision), `gedeeltelijk` (faults only in clients or prestaties: the rest is booked) or
`niet_verwerkt` (a Header or Declaratie fault: the declaratie counts as not sent and got its WMO325 at once);
`technisch` holds the gateway's refusals sorted into IV087's classes (the builder's arguments), so the WMO325
built later from the gemeente's decision merges them whatever the findings cap kept; `antwoord_id` is the 325.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declaratie_verwerking",
        sa.Column("bericht_id", sa.String(length=36), nullable=False),
        sa.Column("declaratienummer", sa.String(length=64), nullable=True),
        sa.Column("aanbieder", sa.String(length=8), nullable=True),
        sa.Column("gemeente", sa.String(length=8), nullable=True),
        sa.Column("verwerking", sa.String(length=16), nullable=False),
        sa.Column("technisch", sa.JSON(), nullable=False),
        sa.Column("totaal_ingediend", sa.BigInteger(), nullable=True),
        sa.Column("totaal_toegekend", sa.BigInteger(), nullable=True),
        sa.Column("antwoord_id", sa.String(length=36), nullable=True),
        sa.Column("beantwoord_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bericht_id"),
    )
    op.create_index("ix_declaratie_nummer", "declaratie_verwerking", ["aanbieder", "declaratienummer"])
    op.create_index("ix_declaratie_gemeente", "declaratie_verwerking", ["gemeente", "antwoord_id"])


def downgrade() -> None:
    op.drop_index("ix_declaratie_gemeente", table_name="declaratie_verwerking")
    op.drop_index("ix_declaratie_nummer", table_name="declaratie_verwerking")
    op.drop_table("declaratie_verwerking")
