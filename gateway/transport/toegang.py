"""Who is delivering on an inbound transport endpoint (`POST /ggk`), and may they deliver for this zender?

Closed unless authenticated: with nothing configured every delivery is refused, and the process says so at
start. Three ways in, each bound to an identity that is either the hub (the GGk knooppunt, which vouches
for every zender) or one party (a gemeentecode or AGB code, which may deliver only for itself):

- a bearer token: `IWMO_GGK_INBOUND_TOKEN` is the hub's; `IWMO_INBOUND_PARTNERS` binds tokens (as SHA-256)
  to parties;
- a client certificate verified by our own TLS (`IWMO_INBOUND_TLS_*`): its subject (or the OIN in its
  serialNumber) is looked up in `IWMO_INBOUND_PARTNERS`;
- the subject / OIN a TLS-terminating proxy forwards in a header (`IWMO_INBOUND_PROXY_HEADER`), believed
  only when the connection comes from one of `IWMO_INBOUND_PROXY_VERTROUWD`.

Everything here is pure: the endpoint gathers the request's facts, `herken` turns them into an identity or a
refusal, `mag_leveren` checks the envelope's zender. No HTTP, no database.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.settings import Settings

HUB = "*"  # the identity that may deliver for every zender
IB002 = "IB002"  # the hubs' code for "organisatie niet geautoriseerd"
OIN = re.compile(r"[0-9]{20}")

INSTELLINGEN = ("IWMO_GGK_INBOUND_TOKEN (het token van de GGk), IWMO_INBOUND_PARTNERS (tokens of certificaten "
                "per partij), IWMO_INBOUND_TLS_CERT/_KEY/_CA (eigen TLS met clientcertificaat) of "
                "IWMO_INBOUND_PROXY_VERTROUWD (een TLS-proxy die het certificaat doorgeeft)")


@dataclass(frozen=True)
class Identiteit:
    partij: str  # gemeentecode / AGB code, or HUB
    via: str  # token | certificaat | proxy
    naam: str = ""  # a label for logs; never a secret

    @property
    def hub(self) -> bool:
        return self.partij == HUB

    def __str__(self) -> str:
        wie = "de hub" if self.hub else self.partij
        return f"{wie} ({self.via}{', ' + self.naam if self.naam else ''})"


@dataclass(frozen=True)
class Weigering:
    status: int  # 401: no or unknown credential; 403: closed, or known but not allowed
    reden: str  # names the rule and what to do
    code: str = IB002


@dataclass(frozen=True)
class Verzoekfeiten:
    """What the endpoint knows about one request, before reading its body."""

    autorisatie: str = ""  # the Authorization header
    peer: str | None = None  # the TCP peer's address (not X-Forwarded-For)
    certificaat: str | None = None  # subject of a client certificate our own TLS verified (ASGI tls extension)
    tls_zonder_onderwerp: bool = False  # over our TLS with a required client certificate, subject not available
    proxy_kop: str | None = None  # the configured proxy header as received


@dataclass(frozen=True)
class Toegangsregels:
    tokens: tuple[tuple[str, Identiteit], ...] = ()  # (sha256 hex of the token, identity)
    certificaten: tuple[tuple[str, Identiteit], ...] = ()  # (subject or OIN as configured, identity)
    tls_partij: str | None = None  # who a verified certificate not in the table is; None: refused
    tls_aan: bool = False  # our own TLS verifies client certificates against IWMO_INBOUND_TLS_CA
    tls_verplicht: bool = False  # … and requires one on every connection
    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    proxy_kop: str = ""

    @property
    def open(self) -> bool:
        """Some way in is configured; otherwise the endpoint is closed to everyone."""
        return bool(self.tokens or (self.certificaten and (self.tls_aan or self.proxies))
                    or (self.tls_partij and self.tls_aan))

    def beschrijving(self) -> str:
        delen = []
        if any(i.hub for _, i in self.tokens):
            delen.append("token van de hub")
        if n := sum(1 for _, i in self.tokens if not i.hub):
            delen.append(f"{n} partnertoken(s)")
        if self.tls_aan:
            delen.append("clientcertificaat via eigen TLS" + ("" if self.tls_verplicht else " (optioneel)"))
        if self.proxies:
            delen.append(f"certificaat via proxy {', '.join(map(str, self.proxies))} (kop {self.proxy_kop})")
        return ", ".join(delen)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ToegangFout(ValueError):
    """The inbound authentication settings cannot be used; stops start-up with one line."""

    def een_regel(self) -> str:
        return str(self)


def _netwerken(cidrs: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    uit = []
    for cidr in cidrs:
        try:
            uit.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ToegangFout(f"IWMO_INBOUND_PROXY_VERTROUWD: {cidr!r} is geen IP-adres of CIDR (bijv. "
                              "\"10.0.0.0/24\"); noem alleen de adressen van de TLS-proxy") from None
    return tuple(uit)


def regels_uit(settings: Settings) -> Toegangsregels:
    """The rules from the settings; ToegangFout when they are incomplete (TLS without a CA, a bad CIDR)."""
    if settings.inbound_tls_cert and not settings.inbound_tls_ca:
        raise ToegangFout("IWMO_INBOUND_TLS_CA ontbreekt: zonder CA-bundel kan geen clientcertificaat worden "
                          "gecontroleerd; geef het bestand met de vertrouwde (PKIoverheid-)CA's")
    if (settings.inbound_tls_ca or settings.inbound_tls_key) and not settings.inbound_tls_cert:
        raise ToegangFout("IWMO_INBOUND_TLS_CERT ontbreekt: eigen TLS vraagt het servercertificaat (PEM) naast "
                          "IWMO_INBOUND_TLS_KEY en IWMO_INBOUND_TLS_CA")
    tokens: list[tuple[str, Identiteit]] = []
    certificaten: list[tuple[str, Identiteit]] = []
    if settings.ggk_inbound_token:
        tokens.append((token_hash(settings.ggk_inbound_token), Identiteit(HUB, "token", "IWMO_GGK_INBOUND_TOKEN")))
    for p in settings.inbound_partners:
        if p.token_sha256:
            tokens.append((p.token_sha256.lower(), Identiteit(p.partij, "token", p.naam)))
        if p.certificaat:
            certificaten.append((p.certificaat, Identiteit(p.partij, "certificaat", p.naam)))
    return Toegangsregels(
        tokens=tuple(tokens), certificaten=tuple(certificaten), tls_partij=settings.inbound_tls_partij,
        tls_aan=bool(settings.inbound_tls_cert),
        tls_verplicht=bool(settings.inbound_tls_cert) and settings.inbound_tls_client_cert_verplicht,
        proxies=_netwerken(settings.inbound_proxy_vertrouwd),
        proxy_kop=settings.inbound_proxy_header,
    )


def sluitingsmelding(regels: Toegangsregels) -> str | None:
    """The start-up warning for a closed endpoint; None when some way in is configured."""
    if regels.open:
        return None
    return ("POST /ggk is gesloten: er is geen inkomende authenticatie ingesteld, dus elke aflevering wordt "
            f"geweigerd (403 {IB002}) en niets opgeslagen. Open het met {INSTELLINGEN}.")


# -- certificate subjects ---------------------------------------------------------------------------------

# The names Python's ssl module and OpenSSL's long form use, mapped to RFC 4514's short ones.
_KORT = {"commonname": "cn", "organizationname": "o", "organizationalunitname": "ou", "countryname": "c",
         "localityname": "l", "stateorprovincename": "st", "2.5.4.5": "serialnumber",
         "2.5.4.97": "organizationidentifier", "emailaddress": "emailaddress"}


def _rdn_delen(dn: str) -> list[str]:
    """Split an RFC 4514 string on unescaped ',' and '+' (one multi-valued RDN counts as its parts)."""
    delen, huidig, i = [], [], 0
    while i < len(dn):
        c = dn[i]
        if c == "\\" and i + 1 < len(dn):
            huidig.append(dn[i:i + 2])
            i += 2
            continue
        if c in ",+":
            delen.append("".join(huidig))
            huidig = []
        else:
            huidig.append(c)
        i += 1
    delen.append("".join(huidig))
    return [d.strip() for d in delen if d.strip()]


def _ontsnap(waarde: str) -> str:
    return re.sub(r'([,+="\\<>#;])', r"\\\1", waarde)


def _ontsnap_niet(waarde: str) -> str:
    return re.sub(r"\\(.)", r"\1", waarde).strip()


def attributen(dn: str) -> frozenset[tuple[str, str]]:
    """A subject as a set of (type, value): order and spelling of the types do not matter, so nginx's
    `$ssl_client_s_dn`, Apache's `SSL_CLIENT_S_DN` and a configured string compare equal."""
    uit = set()
    for deel in _rdn_delen(dn):
        soort, is_, waarde = deel.partition("=")
        if not is_:
            return frozenset()  # not a DN at all
        soort = soort.strip().lower()
        uit.add((_KORT.get(soort, soort), _ontsnap_niet(waarde)))
    return frozenset(uit)


def onderwerp(peercert_subject: Iterable[Iterable[tuple[str, str]]]) -> str:
    """The RFC 4514 string of a subject as `ssl.SSLSocket.getpeercert()` gives it (most specific first)."""
    rdns = []
    for rdn in peercert_subject:
        paren = []
        for soort, waarde in rdn:
            kort = _KORT.get(soort.lower(), soort)
            naam = kort.upper() if kort in ("cn", "o", "ou", "c", "l", "st") else soort
            paren.append(f"{naam}={_ontsnap(waarde)}")
        rdns.append("+".join(paren))
    return ",".join(reversed(rdns))


def past(gegeven: str, ingesteld: str) -> bool:
    """Does a presented subject (or bare OIN) match a configured subject or OIN?"""
    gegeven, ingesteld = gegeven.strip(), ingesteld.strip()
    if OIN.fullmatch(ingesteld):
        if gegeven == ingesteld:
            return True
        # PKIoverheid puts the OIN in the subject's serialNumber; exactly, never as part of a longer value.
        return ("serialnumber", ingesteld) in attributen(gegeven)
    verwacht = attributen(ingesteld)
    return bool(verwacht) and attributen(gegeven) == verwacht


# -- the decision ------------------------------------------------------------------------------------------

def _bearer(kop: str) -> str | None:
    soort, _, waarde = kop.strip().partition(" ")
    return waarde.strip() if soort.lower() == "bearer" and waarde.strip() else None


def _via_token(token: str, tokens: Sequence[tuple[str, Identiteit]]) -> Identiteit | None:
    digest = token_hash(token)
    gevonden = None
    for verwacht, identiteit in tokens:  # every candidate, so the time taken does not tell which one matched
        if hmac.compare_digest(verwacht, digest):
            gevonden = identiteit
    return gevonden


def _via_certificaat(subject: str, regels: Toegangsregels, via: str) -> Identiteit | None:
    for ingesteld, identiteit in regels.certificaten:
        if past(subject, ingesteld):
            return Identiteit(identiteit.partij, via, identiteit.naam)
    return None


def _vertrouwde_proxy(peer: str | None, regels: Toegangsregels) -> bool:
    if not peer or not regels.proxies:
        return False
    try:
        adres = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(adres in net for net in regels.proxies)


def herken(feiten: Verzoekfeiten, regels: Toegangsregels) -> Identiteit | Weigering:
    """The caller's identity, or why not. A credential that is presented but does not check out refuses the
    request even when another one would pass: a gateway should not guess which of two claims is meant."""
    if not regels.open:
        return Weigering(403, f"POST /ggk is gesloten: deze gateway heeft geen inkomende authenticatie ingesteld. "
                              f"De beheerder opent het met {INSTELLINGEN}.")
    gevonden: list[Identiteit] = []
    if feiten.certificaat:
        i = _via_certificaat(feiten.certificaat, regels, "certificaat")
        if i is None and regels.tls_partij:
            i = Identiteit(regels.tls_partij, "certificaat", "IWMO_INBOUND_TLS_PARTIJ")
        if i is None:
            return Weigering(403, f"het clientcertificaat ({feiten.certificaat}) is geldig maar niet bekend bij deze "
                                  "gateway; de beheerder neemt het onderwerp of het OIN op in IWMO_INBOUND_PARTNERS")
        gevonden.append(i)
    elif feiten.tls_zonder_onderwerp and regels.tls_verplicht and regels.tls_partij:
        gevonden.append(Identiteit(regels.tls_partij, "certificaat", "IWMO_INBOUND_TLS_PARTIJ"))
    kop = (feiten.proxy_kop or "").strip()
    if kop and _vertrouwde_proxy(feiten.peer, regels):  # from anyone else the header is only a claim: ignored
        i = _via_certificaat(kop, regels, "proxy")
        if i is None:
            return Weigering(403, f"het door de proxy doorgegeven certificaat ({kop[:200]}) is niet bekend bij deze "
                                  "gateway; de beheerder neemt het onderwerp of het OIN op in IWMO_INBOUND_PARTNERS")
        gevonden.append(i)
    token = _bearer(feiten.autorisatie)
    if token is not None:
        i = _via_token(token, regels.tokens)
        if i is None:
            return Weigering(401, "onbekend bearer-token; vraag de beheerder van deze gateway het afgesproken token")
        gevonden.append(i)
    if not gevonden:
        return Weigering(401, "geen token of clientcertificaat: deze gateway neemt alleen afleveringen aan van "
                              "geauthenticeerde partijen (Authorization: Bearer of tweezijdig TLS)")
    if len({i.partij for i in gevonden}) > 1:
        return Weigering(403, "token en certificaat horen bij verschillende partijen ("
                              + ", ".join(sorted({i.partij for i in gevonden})) + "); gebruik één identiteit")
    return gevonden[0]


def mag_leveren(identiteit: Identiteit, zender: str, verzender: str | None = None) -> Weigering | None:
    """The hub vouches for every zender; a direct partner delivers only for itself — in the envelope and, when
    the payload could be read, as the message's own sender."""
    if identiteit.hub:
        return None
    if zender != identiteit.partij:
        return Weigering(403, f"aangemeld als {identiteit.partij}, maar de envelop noemt zender {zender}; een partner "
                              "levert alleen eigen berichten af (via de hub mag iedereen)")
    if verzender is not None and verzender != identiteit.partij:
        return Weigering(403, f"aangemeld als {identiteit.partij}, maar het bericht is verzonden door {verzender} "
                              "(Afzender/Ontvanger in de header); een partner levert alleen eigen berichten af")
    return None
