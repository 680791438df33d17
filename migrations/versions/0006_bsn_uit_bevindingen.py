"""mask BSNs in stored findings

Before this release an XSD melding about a Bsn element quoted its value ("The value ' 207416035' is not
accepted by the pattern …"), and such rows were returned, kept after retention and shown to viewers. This
masks them with the very function the validator now applies to new meldingen (`gateway.validation.xsd.
maskeer_bsn`: the quoted value loses its letters and digits, any run of nine or more digits goes), and masks
digit runs in parser (XML) meldingen, which can quote the bytes they stumbled on. Only rows that could hold one
are read, in pages, and only changed rows are written.

No downgrade: a masked BSN cannot come back, and must not.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PAGINA = 1000
_XML_PREFIX = "Het bericht is geen welgevormde XML:"


def upgrade() -> None:
    from gateway.validation.findings import maskeer_cijferreeksen
    from gateway.validation.xsd import bsn_elementen, maskeer_bsn

    bevinding = sa.table("bevinding", sa.column("id", sa.Integer), sa.column("code", sa.String),
                         sa.column("melding", sa.Text))
    verdacht = sa.or_(
        sa.and_(bevinding.c.code == "XSD",
                sa.or_(*(bevinding.c.melding.like(f"Element %{naam}%") for naam in sorted(bsn_elementen())))),
        sa.and_(bevinding.c.code == "XML", bevinding.c.melding.like(f"{_XML_PREFIX}%")),
    )
    bind = op.get_bind()
    laatste = 0
    while True:
        rijen = bind.execute(
            sa.select(bevinding.c.id, bevinding.c.code, bevinding.c.melding)
            .where(verdacht, bevinding.c.id > laatste).order_by(bevinding.c.id).limit(_PAGINA)
        ).all()
        if not rijen:
            return
        for ident, code, melding in rijen:
            nieuw = maskeer_bsn(melding) if code == "XSD" else maskeer_cijferreeksen(melding)
            if nieuw != melding:
                bind.execute(sa.update(bevinding).where(bevinding.c.id == ident).values(melding=nieuw))
        laatste = rijen[-1][0]


def downgrade() -> None:
    pass
