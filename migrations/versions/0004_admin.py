"""admin console: indexes for prefix search on business keys and envelope ids

The console searches any identifier by prefix (a range scan `>= p AND < p‖U+10FFFF`): business keys by value
whatever their kind, and the envelope ids of the outbox and of received envelopes. The dashboard counts by
type × status × partner per period from one covering index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 03:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sleutel_value", "bericht_sleutel", ["value"])
    # The dashboard's counts per type × status × partner: grouped in index order and read from the index alone
    # (the leading columns are the GROUP BY, so no sort); and per day × status.
    op.create_index("ix_bericht_dashboard", "bericht", ["berichttype", "status", "verzender", "created_at"])
    op.create_index("ix_bericht_dag", "bericht", ["created_at", "status"])
    op.create_index("ix_aflevering_conversatie", "aflevering", ["conversatie_id"])
    op.create_index("ix_ontvangst_envelop", "ontvangst", ["envelop_id"])
    op.create_index("ix_ontvangst_conversatie", "ontvangst", ["conversatie_id"])


def downgrade() -> None:
    op.drop_index("ix_ontvangst_conversatie", table_name="ontvangst")
    op.drop_index("ix_ontvangst_envelop", table_name="ontvangst")
    op.drop_index("ix_aflevering_conversatie", table_name="aflevering")
    op.drop_index("ix_bericht_dag", table_name="bericht")
    op.drop_index("ix_bericht_dashboard", table_name="bericht")
    op.drop_index("ix_sleutel_value", table_name="bericht_sleutel")
