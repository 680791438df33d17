"""conditions told once: deadlines and alert signals recorded as events

`melding`: the key of each condition already recorded as an event (`termijn.bijna:<bericht id>`,
`signaal.wachtrij:<partner>:<berichttype>`, …), so a worker round, a restarted worker or a second worker records
it once; a signal's key is removed when its condition clears, so the next episode is told again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "melding",
        sa.Column("sleutel", sa.String(length=160), nullable=False),
        sa.Column("gebeurtenis_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sleutel"),
    )


def downgrade() -> None:
    op.drop_table("melding")
