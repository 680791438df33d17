"""Generated iWmo messages of any size, valid against the schemas and the in-message rules.

Used by the benchmarks and load tests: a WMO323 with n prestaties spread over clients, each prestatie on its
own toewijzing so that no rule about repeated lines (TR101, TR315, TR416) fires by accident.
"""

from __future__ import annotations

import datetime as dt
import random
from xml.sax.saxutils import escape

from gateway.standard import catalogue

AANBIEDER = "12345678"
GEMEENTE = "0599"
PRESTATIES_PER_CLIENT = 10
# (categorie, code, eenheid, tarief in centen)
PRODUCTEN = (("02", "02A05", "04", 6150), ("01", "01B02", "04", 6550), ("02", "02A01", "16", 9800))


def bsn(rng: random.Random) -> str:
    """A random BSN that passes the 11-proef (CS002)."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(8)]
        if digits[0] == 0 and digits[1] == 0:
            continue
        rest = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if rest != 10:
            return "".join(map(str, digits)) + str(rest)


def _maand(jaar: int, maand: int) -> tuple[dt.date, dt.date]:
    begin = dt.date(jaar, maand, 1)
    volgende = dt.date(jaar + maand // 12, maand % 12 + 1, 1)
    return begin, volgende - dt.timedelta(days=1)


def declaratie(n: int, seed: int = 0, *, jaar: int = 2026, maand: int = 4, identificatie: str | None = None) -> bytes:
    """A WMO323 from aanbieder 12345678 to gemeente 0599 with n debet prestaties over one calendar month."""
    rng = random.Random(seed)
    begin, eind = _maand(jaar, maand)
    dagtekening = eind + dt.timedelta(days=6)
    bericht = catalogue.get("WMO323")
    ns = bericht.namespace
    regels: list[str] = []
    totaal = 0
    for c in range(0, n, PRESTATIES_PER_CLIENT):
        regels.append(f"<Client><Bsn>{bsn(rng)}</Bsn><Prestaties>")
        for i in range(c, min(n, c + PRESTATIES_PER_CLIENT)):
            categorie, code, eenheid, tarief = PRODUCTEN[i % len(PRODUCTEN)]
            volume = rng.randint(1, 40)
            bedrag = volume * tarief
            totaal += bedrag
            start = begin + dt.timedelta(days=rng.randint(0, 9))
            regels.append(
                "<Prestatie><ProductReferentie>"
                f"<b:ReferentieNummer>P{seed:03d}{i:09d}</b:ReferentieNummer></ProductReferentie>"
                f"<ToewijzingNummer>{100000 + i}</ToewijzingNummer>"
                f"<ProductCategorie>{categorie}</ProductCategorie><ProductCode>{code}</ProductCode>"
                f"<ProductPeriode><b:Begindatum>{start}</b:Begindatum><b:Einddatum>{eind}</b:Einddatum></ProductPeriode>"
                f"<GeleverdVolume>{volume}</GeleverdVolume><Eenheid>{eenheid}</Eenheid>"
                f"<ProductTarief>{tarief}</ProductTarief>"
                f"<IngediendBedrag><b:Bedrag>{bedrag}</b:Bedrag><b:DebetCredit>D</b:DebetCredit></IngediendBedrag>"
                "</Prestatie>"
            )
        regels.append("</Prestaties></Client>")
    ident = identificatie or f"GEN{seed:09d}"[:12]
    kop = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Bericht xmlns="{ns}" xmlns:b="{bericht.basisschema_namespace}">'
        "<Header><BerichtCode>484</BerichtCode><BerichtVersie>3</BerichtVersie><BerichtSubversie>2</BerichtSubversie>"
        f"<Afzender>{AANBIEDER}</Afzender><Ontvanger>{GEMEENTE}</Ontvanger>"
        f"<BerichtIdentificatie><b:Identificatie>{escape(ident)}</b:Identificatie>"
        f"<b:Dagtekening>{dagtekening}</b:Dagtekening></BerichtIdentificatie>"
        "<XsdVersie><b:BasisschemaXsdVersie>1.0.0</b:BasisschemaXsdVersie>"
        "<b:BerichtXsdVersie>1.0.0</b:BerichtXsdVersie></XsdVersie></Header>"
        f"<Declaratie><DeclaratieNummer>{escape(ident)}</DeclaratieNummer>"
        f"<DeclaratiePeriode><b:Begindatum>{begin}</b:Begindatum><b:Einddatum>{eind}</b:Einddatum></DeclaratiePeriode>"
        f"<DeclaratieDagtekening>{dagtekening}</DeclaratieDagtekening>"
        f"<TotaalIngediendBedrag><b:TotaalBedrag>{totaal}</b:TotaalBedrag><b:DebetCredit>D</b:DebetCredit>"
        "</TotaalIngediendBedrag><Clienten>"
    )
    return (kop + "".join(regels) + "</Clienten></Declaratie></Bericht>\n").encode()
