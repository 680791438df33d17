"""The gemeente side: StUF-GGk envelopes (Di01/Du01) as SOAP 1.1 over HTTP to the GGk hub.

The hub answers synchronously: 2xx without a fault means it took the envelope over; a Fo01 (in the body or in
a SOAP Fault's detail) is a refusal. The GGk pushes envelopes for us to our own `POST /ggk` (see inbound),
so there is nothing to pull here.
"""

from __future__ import annotations

import httpx

from gateway.transport import envelope
from gateway.transport.adapter import Ontvangen, Resultaat, Verbinding, Zending

# A refusal that says "this envelope id was seen before": our ids are fresh per delivery, so it means an
# earlier attempt arrived and only its answer got lost.
DUPLICAAT_CODES = frozenset({"IB016", "IB216", "BRS114", "CC08"})
# A refusal that says "not now": IB103 is a freeze around a release, and the ISD-keten asks for the messages
# to be resent after it, whatever plek or HTTP status the refusal came with.
TIJDELIJK_CODES = frozenset({"IB103"})


def envelop_voor(zending: Zending) -> bytes:
    """The SOAP envelope for one delivery; raises EnvelopFout when the data cannot make a valid one."""
    if zending.retour:
        if not zending.antwoord_op:
            raise envelope.EnvelopFout(
                envelope.IB001_ONGELDIG,
                f"stuurgegevens/crossRefnummer: het heenbericht van deze {zending.functie} kwam niet via een "
                "envelop binnen, dus er is geen referentienummer om naar te verwijzen; lever het retourbericht "
                "via de API of het portaal",
            )
        data, _ = envelope.retourbericht(zending.payload, zender=zending.zender, ontvanger=zending.ontvanger,
                                         functie=zending.functie, cross_refnummer=zending.antwoord_op,
                                         referentienummer=zending.envelop_id)
    else:
        data, _ = envelope.heenbericht(zending.payload, zender=zending.zender, ontvanger=zending.ontvanger,
                                       functie=zending.functie, referentienummer=zending.envelop_id)
    return data


def beoordeel(status: int, body: bytes) -> Resultaat:
    """What an HTTP answer of the hub means for the delivery."""
    fo01 = None
    if body.strip():
        try:
            gelezen = envelope.lees(body)
        except envelope.EnvelopFout:
            gelezen = None
        if gelezen is not None and gelezen.soort == envelope.FO01 and gelezen.fout is not None:
            fo01 = gelezen.fout
    if fo01 is not None:
        tekst = f"{fo01.omschrijving}" + (f" ({fo01.details})" if fo01.details else "")
        if fo01.code in DUPLICAAT_CODES:
            return Resultaat.geslaagd(f"al eerder ontvangen ({fo01.code})", status)
        if fo01.code in TIJDELIJK_CODES or (fo01.plek == "server" and status >= 500):
            return Resultaat.tijdelijk(tekst, status, fo01.code)
        return Resultaat.definitief(tekst, status, fo01.code)
    if 200 <= status < 300:
        return Resultaat.geslaagd("aangenomen door de GGk", status)
    # 401/403 are usually a token being replaced: the operator fixes it, the messages should then still go.
    if status >= 500 or status in (401, 403, 408, 429):
        return Resultaat.tijdelijk(f"de GGk antwoordde HTTP {status}", status)
    # 3xx and other 4xx are errors that repeating will not cure (Digikoppeling treats them so).
    return Resultaat.definitief(f"de GGk weigerde met HTTP {status}", status)


class GgkTransport:
    naam = "ggk"

    def __init__(self, verbinding: Verbinding, client: httpx.Client | None = None):
        self.endpoint = verbinding.endpoint
        self.client = client or verbinding.http_client(**{"Content-Type": "text/xml; charset=utf-8"})

    def verstuur(self, zending: Zending) -> Resultaat:
        try:
            data = envelop_voor(zending)
        except envelope.EnvelopFout as exc:
            return Resultaat.definitief(exc.omschrijving, code=exc.code)
        soort = envelope.DU01 if zending.retour else envelope.DI01
        try:
            antwoord = self.client.post(self.endpoint, content=data,
                                        headers={"SOAPAction": f'"{envelope.SOAP_ACTION[soort]}"'})
        except httpx.TransportError as exc:
            return Resultaat.tijdelijk(f"{type(exc).__name__}: {exc or 'geen verbinding'} ({self.endpoint})")
        return beoordeel(antwoord.status_code, antwoord.content)

    def ophalen(self, limit: int) -> list[Ontvangen]:
        return []  # the GGk delivers to our POST /ggk

    def bevestig(self, id: str) -> None:
        return None

    def close(self) -> None:
        self.client.close()


def maak(verbinding: Verbinding) -> GgkTransport:
    return GgkTransport(verbinding)
