"""profiles per partner: the standards and releases a partner exchanges

`partner_profiel`: per party (gemeentecode or AGB code) the profile keys it exchanges ("iwmo-3.2,ijw-3.2"); a party
without a row exchanges every installed profile. During a transition to a new release an operator pins a partner
that is not ready to the old one; a message of another profile to or from it is refused (finding PROFIEL).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_profiel",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("profielen", sa.String(length=200), nullable=False),
        sa.Column("bijgewerkt_door", sa.String(length=80), nullable=False),
        sa.Column("bijgewerkt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("partner_profiel")
