"""Inbound transport is closed unless authenticated (issue #10, item 1): the promises of POST /ggk.

A delivery from a caller that is not authenticated — no credential, a wrong token, a proxy header from an
address that is not the configured proxy — is refused and leaves no row behind, on SQLite and PostgreSQL. The
hub vouches for every zender; a direct partner (token or certificate) delivers only for itself. A served
gateway with default settings refuses, and says at start that the endpoint is closed. A client certificate
verified by the gateway's own TLS authenticates its partner.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.hub.config import HubConfigFout, uit_dict
from gateway.settings import Settings
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models import AuditEvent, Bericht, Ontvangst
from gateway.transport import envelope
from tests.msgedit import Msg
from tests.serveproces import gateway_proces
from tests.transport.helpers import AANBIEDER, GEMEENTE, variant

ANDERE_AANBIEDER = "87654321"
HUB_TOKEN = "token-van-de-ggk-knooppunt-0001"
PARTNER_TOKEN = "token-van-aanbieder-12345678-01"
PROXY = "10.20.30.40"
PARTNER_DN = "CN=Zorg BV GGk,O=Zorg BV,serialNumber=00000001123456780000,C=NL"
SOAP = {"Content-Type": "text/xml; charset=utf-8"}


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _di01(zender: str = AANBIEDER, afzender: str | None = None, identificatie: str = "TOEG01") -> bytes:
    """A WMO315 (aanbieder -> gemeente) in a Di01; the payload's Afzender is the zender unless told otherwise."""
    payload = Msg(variant("WMO315", identificatie)).set("Header/Afzender", afzender or zender).bytes()
    data, _ = envelope.heenbericht(payload, zender=zender, ontvanger=GEMEENTE, functie="WMO315")
    return data


def _tel(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return {m.__name__: session.scalar(select(func.count()).select_from(m))
                    for m in (Bericht, Ontvangst, AuditEvent)}
    finally:
        engine.dispose()


NIETS = {"Bericht": 0, "Ontvangst": 0, "AuditEvent": 0}


@dataclass
class Gateway:
    url: str
    tmp: Path

    def client(self, peer: str = "192.0.2.10", **settings: Any) -> TestClient:
        routes = self.tmp / "routes.toml"
        routes.write_text('[[route]]\nnaar = ["*"]\nadapter = "memory"\nendpoint = "toegang-test"\n', encoding="utf-8")
        app = create_app(Settings(database_url=self.url, routes_file=str(routes), identiteit=[GEMEENTE], **settings))
        return TestClient(app, raise_server_exceptions=False, client=(peer, 40000))

    def bericht_van(self) -> list[str]:
        engine = make_engine(self.url)
        try:
            with make_session_factory(engine)() as session:
                return list(session.scalars(select(Bericht.submitted_by).where(Bericht.richting == "in")))
        finally:
            engine.dispose()


@pytest.fixture
def gateway(migrated_url: str, tmp_path: Path) -> Gateway:
    return Gateway(migrated_url, tmp_path)


def _geweigerd(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    assert b"Fault" in r.content and b"IB002" in r.content


# -- the promises ------------------------------------------------------------------------------------------

def test_unauthenticated_ggk_delivery_is_refused_and_nothing_stored(gateway: Gateway) -> None:
    with gateway.client() as closed:  # default settings: no way in configured at all
        _geweigerd(closed.post("/ggk", content=_di01(), headers=SOAP), 403)
    with gateway.client(ggk_inbound_token=HUB_TOKEN) as open_:  # configured, but the caller shows nothing
        r = open_.post("/ggk", content=_di01(), headers=SOAP)
        _geweigerd(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert _tel(gateway.url) == NIETS


def test_wrong_token_is_refused_and_nothing_stored(gateway: Gateway) -> None:
    partners = [{"partij": AANBIEDER, "token_sha256": _sha(PARTNER_TOKEN)}]
    with gateway.client(inbound_partners=partners) as c:
        for fout in ("Bearer " + PARTNER_TOKEN[:-1] + "x", "Bearer " + _sha(PARTNER_TOKEN), "Basic " + PARTNER_TOKEN):
            _geweigerd(c.post("/ggk", content=_di01(), headers=SOAP | {"Authorization": fout}), 401)
    assert _tel(gateway.url) == NIETS


def test_partner_token_may_deliver_only_for_its_own_zender(gateway: Gateway) -> None:
    partners = [{"partij": AANBIEDER, "naam": "Zorg BV", "token_sha256": _sha(PARTNER_TOKEN)}]
    auth = SOAP | {"Authorization": f"Bearer {PARTNER_TOKEN}"}
    with gateway.client(inbound_partners=partners) as c:
        andere_zender = c.post("/ggk", content=_di01(zender=ANDERE_AANBIEDER, identificatie="TOEG02"), headers=auth)
        assert andere_zender.status_code == 403 and b"IB002" in andere_zender.content
        assert envelope.lees(andere_zender.content).fout is not None  # a Fo01: retrying will not help
        # the envelope says "me", the message inside says another aanbieder sent it: refused as well
        vals = c.post("/ggk", content=_di01(zender=AANBIEDER, afzender=ANDERE_AANBIEDER, identificatie="TOEG03"),
                      headers=auth)
        assert vals.status_code == 403 and b"IB002" in vals.content
        assert _tel(gateway.url) == NIETS
        assert c.post("/ggk", content=_di01(zender=AANBIEDER), headers=auth).status_code == 200
    assert gateway.bericht_van() == [AANBIEDER]


def test_hub_identity_may_deliver_for_every_zender(gateway: Gateway) -> None:
    partners = [{"partij": "*", "naam": "GGk", "token_sha256": _sha(HUB_TOKEN)}]
    with gateway.client(inbound_partners=partners) as c:
        _geweigerd(c.post("/ggk", content=_di01(), headers=SOAP), 401)
        auth = SOAP | {"Authorization": f"Bearer {HUB_TOKEN}"}
        for zender, ident in ((AANBIEDER, "HUB001"), (ANDERE_AANBIEDER, "HUB002")):
            assert c.post("/ggk", content=_di01(zender=zender, identificatie=ident), headers=auth).status_code == 200
    assert sorted(gateway.bericht_van()) == sorted([AANBIEDER, ANDERE_AANBIEDER])


def test_proxy_header_is_ignored_from_an_untrusted_address(gateway: Gateway) -> None:
    instellingen: dict[str, Any] = {"inbound_proxy_vertrouwd": [f"{PROXY}/32"],
                                    "inbound_partners": [{"partij": AANBIEDER, "certificaat": PARTNER_DN}]}
    with gateway.client(peer="192.0.2.99", **instellingen) as c:
        r = c.post("/ggk", content=_di01(), headers=SOAP | {"X-SSL-Client-S-DN": PARTNER_DN})
        _geweigerd(r, 401)
    assert _tel(gateway.url) == NIETS


def test_proxy_header_is_honoured_from_a_trusted_address(gateway: Gateway) -> None:
    instellingen: dict[str, Any] = {
        "inbound_proxy_vertrouwd": ["10.20.30.0/24"],
        # by OIN (the serialNumber of a PKIoverheid certificate), matched in whichever order the proxy writes
        "inbound_partners": [{"partij": AANBIEDER, "certificaat": "00000001123456780000"}]}
    omgekeerd = ",".join(reversed(PARTNER_DN.split(",")))
    with gateway.client(peer=PROXY, **instellingen) as c:
        kop = SOAP | {"X-SSL-Client-S-DN": omgekeerd}
        assert c.post("/ggk", content=_di01(), headers=kop).status_code == 200
        # the certificate is bound to its party: it cannot deliver for another
        r = c.post("/ggk", content=_di01(zender=ANDERE_AANBIEDER, identificatie="TOEG04"), headers=kop)
        assert r.status_code == 403 and b"IB002" in r.content
    assert gateway.bericht_van() == [AANBIEDER]


def test_hub_configuration_with_a_gemeente_endpoint_requires_an_aflever_token() -> None:
    config = {"gemeente": [{"code": GEMEENTE, "token": "tok-gemeente", "endpoint": "http://gw.test/ggk"}]}
    with pytest.raises(HubConfigFout, match="endpoint zonder aflever_token"):
        uit_dict(config)


# -- a real served gateway ---------------------------------------------------------------------------------

@dataclass
class Proces:
    base: str
    url: str
    log: Path


@contextlib.contextmanager
def _serve(tmp: Path, extra: dict[str, str], client: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=10),
           scheme: str = "http") -> Iterator[Proces]:
    """`iwmo-gateway serve` with only the given IWMO_* settings (none of the developer's). Close every client
    before leaving (see gateway_proces)."""
    url = f"sqlite:///{tmp / 'served.db'}"
    settings = {"IWMO_DATABASE_URL": url, "IWMO_IDENTITEIT": f'["{GEMEENTE}"]',
                "IWMO_ROUTES_FILE": str(tmp / "geen-routes.toml")} | extra
    with gateway_proces(["serve"], map_=tmp, settings=settings, pad="/ready", client=client, scheme=scheme) as server:
        yield Proces(server.base, url, server.log)


@pytest.fixture(scope="module")
def standaard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proces]:
    with _serve(tmp_path_factory.mktemp("standaard"), {}) as proces:
        yield proces


def test_a_served_gateway_with_default_settings_refuses_an_unauthenticated_ggk_delivery(standaard: Proces) -> None:
    r = httpx.post(f"{standaard.base}/ggk", content=_di01(), headers=SOAP, timeout=30)
    _geweigerd(r, 403)
    assert _tel(standaard.url) == NIETS


def test_start_up_says_the_ggk_endpoint_is_closed_and_which_setting_opens_it(standaard: Proces) -> None:
    regels = [json.loads(r) for r in standaard.log.read_text().splitlines() if r.startswith("{")]
    [melding] = [r for r in regels if r["logger"] == "gateway.serve" and "POST /ggk is gesloten" in r["msg"]]
    assert melding["level"] == "WARNING"
    assert "IWMO_GGK_INBOUND_TOKEN" in melding["msg"] and "IWMO_INBOUND_TLS_CERT" in melding["msg"]


# -- two-way TLS by uvicorn itself ---------------------------------------------------------------------------

OIN_PARTNER = "00000001123456780000"


def _certificaten(map_: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1, a partner's client certificate (OIN in serialNumber), and a
    client certificate from another CA; written as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    nu = dt.datetime.now(dt.UTC)

    def naam(cn: str, oin: str | None = None) -> x509.Name:
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, cn)]
        if oin:
            attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, oin))
        return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def maak(onderwerp: x509.Name, uitgever: tuple[x509.Name, Any] | None, *, ca: bool = False,
             san: bool = False, client: bool = False) -> tuple[Any, x509.Certificate]:
        sleutel = ec.generate_private_key(ec.SECP256R1())
        uitgever_naam, uitgever_sleutel = uitgever or (onderwerp, sleutel)
        b = (x509.CertificateBuilder().subject_name(onderwerp).issuer_name(uitgever_naam)
             .public_key(sleutel.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(nu - dt.timedelta(minutes=5)).not_valid_after(nu + dt.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            import ipaddress

            b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                critical=False)
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        if client:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        if ca:
            b = b.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                              content_commitment=False, key_encipherment=False,
                                              data_encipherment=False, key_agreement=False, encipher_only=False,
                                              decipher_only=False), critical=True)
        return sleutel, b.sign(uitgever_sleutel, hashes.SHA256())

    def schrijf(naam_: str, sleutel: Any, cert: x509.Certificate) -> None:
        (map_ / f"{naam_}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (map_ / f"{naam_}.key").write_bytes(sleutel.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    ca_naam = naam("Test PKIoverheid Private Root")
    ca_sleutel, ca = maak(ca_naam, None, ca=True)
    schrijf("ca", ca_sleutel, ca)
    schrijf("server", *maak(naam("gateway"), (ca_naam, ca_sleutel), san=True))
    schrijf("partner", *maak(naam("Zorg BV", OIN_PARTNER), (ca_naam, ca_sleutel), client=True))
    vreemd_naam = naam("Andere CA")
    vreemd_sleutel, vreemd = maak(vreemd_naam, None, ca=True)
    schrijf("vreemd", *maak(naam("Zorg BV", OIN_PARTNER), (vreemd_naam, vreemd_sleutel), client=True))
    return {n: map_ / n for n in ("ca", "server", "partner", "vreemd")}


def _tls_client(pem: dict[str, Path], wie: str | None) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(pem["ca"].with_suffix(".pem")))
    if wie:
        ctx.load_cert_chain(str(pem[wie].with_suffix(".pem")), str(pem[wie].with_suffix(".key")))
    return httpx.Client(verify=ctx, timeout=10)


def test_client_certificate_verified_by_the_gateways_own_tls_authenticates_its_partner(tmp_path: Path) -> None:
    pem = _certificaten(tmp_path)
    extra = {"IWMO_INBOUND_TLS_CERT": str(pem["server"].with_suffix(".pem")),
             "IWMO_INBOUND_TLS_KEY": str(pem["server"].with_suffix(".key")),
             "IWMO_INBOUND_TLS_CA": str(pem["ca"].with_suffix(".pem")),
             "IWMO_INBOUND_PARTNERS": json.dumps([{"partij": AANBIEDER, "certificaat": OIN_PARTNER}])}
    with _serve(tmp_path, extra, lambda: _tls_client(pem, "partner"), scheme="https") as proces, \
            _tls_client(pem, "partner") as partner:
        # the partner's certificate: accepted for itself, refused for another zender
        assert partner.post(f"{proces.base}/ggk", content=_di01(), headers=SOAP).status_code == 200
        r = partner.post(f"{proces.base}/ggk", content=_di01(zender=ANDERE_AANBIEDER, identificatie="TLS2"),
                         headers=SOAP)
        assert r.status_code == 403 and b"IB002" in r.content
        # no certificate, or one from another CA: the TLS handshake itself fails
        for wie in (None, "vreemd"):
            with _tls_client(pem, wie) as ander, pytest.raises(httpx.TransportError):
                ander.post(f"{proces.base}/ggk", content=_di01(identificatie="TLS3"), headers=SOAP)
        assert "certificaat via eigen TLS" in proces.log.read_text()
    engine = make_engine(proces.url)
    with make_session_factory(engine)() as session:
        assert list(session.scalars(select(Bericht.submitted_by).where(Bericht.richting == "in"))) == [AANBIEDER]
    engine.dispose()
