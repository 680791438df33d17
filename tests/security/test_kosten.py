"""What one message may cost (issue #10 item 2, and the size check of item 10), one test per promise.

A hostile message is refused while it is parsed, before the XSD step, with one `XML` finding that names the
limit, the place and what to do; no message stores or returns more than 100 findings plus one that counts
the rest; the CLI stops reading at the size limit. (That the limits leave the largest legitimate message
untouched is pinned in tests/test_validation_core.py.)
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway import cli
from gateway.api.app import create_app
from gateway.demo.generate import declaratie
from gateway.ingest.ontvang import receive
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models import Bevinding
from gateway.validation import safe_xml
from gateway.validation.findings import BEPERKT, MAX_BEVINDINGEN, XML, XSD, Finding, begrens
from gateway.validation.validator import validate
from tests.api.conftest import AANBIEDER, auth
from tests.api.conftest import XML as XML_HEADERS
from tests.reference import our_example

ATTRIBUTEN = 100_000


def _wmo315_met_attributen(n: int) -> bytes:
    attributen = " ".join(f'a{i}="x"' for i in range(n)).encode()
    return our_example("WMO315").replace(b"<Bsn>", b"<Bsn " + attributen + b">", 1)


def _refused(data: bytes, **kwargs: Any) -> Finding:
    with pytest.raises(safe_xml.XmlRefused) as refused:
        safe_xml.parse(data, **kwargs)
    return refused.value.finding


@pytest.fixture
def gateway(migrated_url: str) -> Iterator[tuple[TestClient, str, Any]]:
    """A served API on SQLite and PostgreSQL: the client, an aanbieder's key and the store's sessions."""
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        sleutel = apikeys.create(session, label="a", party=AANBIEDER).key
    with TestClient(create_app(Settings(database_url=migrated_url)), raise_server_exceptions=False) as client:
        yield client, sleutel, sessions
    engine.dispose()


def test_a_wmo315_with_100000_attributes_is_answered_with_one_xml_limit_finding_and_stores_at_most_101(
        gateway) -> None:  # type: ignore[no-untyped-def]
    client, sleutel, sessions = gateway
    r = client.post("/api/v1/berichten", content=_wmo315_met_attributen(ATTRIBUTEN),
                    headers={**auth(sleutel), **XML_HEADERS})
    assert r.status_code == 201, r.text
    errors = r.json()["errors"]
    assert r.json()["status"] == "rejected" and 1 <= len(errors) <= MAX_BEVINDINGEN + 1
    grens = errors[0]
    assert grens["code"] == XML and grens["locatie"] == ["/Bericht/Client/Bsn"]
    assert "100.000 attributen" in grens["melding"] and "grens is 64" in grens["melding"]
    assert "verwijder" in grens["melding"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Bevinding)) <= MAX_BEVINDINGEN + 1


def test_a_dry_run_of_the_100000_attribute_wmo315_gives_one_xml_finding_before_the_xsd() -> None:
    uitslag = validate(_wmo315_met_attributen(ATTRIBUTEN))
    assert [(f.code, f.locatie) for f in uitslag.errors] == [(XML, ("/Bericht/Client/Bsn",))]


def test_too_many_namespace_declarations_on_one_element_count_as_attributes() -> None:
    declaraties = " ".join(f'xmlns:n{i}="urn:x{i}"' for i in range(65)).encode()
    finding = _refused(our_example("WMO315").replace(b"<Bsn>", b"<Bsn " + declaraties + b">", 1))
    assert finding.code == XML and "65 attributen en namespacedeclaraties" in finding.melding


def test_too_many_attributes_in_total_are_refused_even_when_each_element_stays_under_its_limit() -> None:
    veel = b"".join(b"<a " + b" ".join(b'x%d="1"' % i for i in range(60)) + b"/>" for _ in range(200))
    finding = _refused(b"<Bericht>" + veel + b"</Bericht>")
    assert finding.code == XML and "meer dan 10.000 attributen" in finding.melding


def test_more_elements_than_the_size_limit_allows_are_refused_before_a_tree_is_built(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def geen_boom(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a tree was built for a message over the element limit")

    monkeypatch.setattr(safe_xml.etree, "fromstring", geen_boom)
    monkeypatch.setattr(safe_xml.etree, "XMLPullParser", geen_boom)
    grens = safe_xml.max_elementen(100_000)
    finding = _refused(b"<Bericht>" + b"<a/>" * (grens + 1) + b"</Bericht>", max_bytes=100_000)
    assert finding.code == XML
    assert f"{grens + 2:,} elementen; de grens is {grens:,}".replace(",", ".") in finding.melding


def test_nesting_deeper_than_the_limit_is_refused_with_the_element_that_passes_it() -> None:
    diep = safe_xml.MAX_DIEPTE + 1
    finding = _refused(b"<Bericht>" + b"<a>" * (diep - 1) + b"</a>" * (diep - 1) + b"</Bericht>")
    assert finding.code == XML and f"dieper dan {safe_xml.MAX_DIEPTE} niveaus" in finding.melding
    assert finding.locatie == ("/Bericht" + "/a" * (diep - 1),) and finding.regel == 1


@pytest.mark.parametrize("plek", ["tekst", "attribuut", "cdata"])
def test_a_text_or_attribute_value_longer_than_the_limit_is_refused_before_the_xsd(plek: str) -> None:
    lang = b"x" * (safe_xml.MAX_TEKST + 1)
    data = our_example("WMO315")
    data = {
        "tekst": data.replace(b"<Commentaar>", b"<Commentaar>" + lang, 1),
        "attribuut": data.replace(b"<Commentaar>", b'<Commentaar a="' + lang + b'">', 1),
        "cdata": data.replace(b"<Commentaar>", b"<Commentaar><![CDATA[" + b"<" * (safe_xml.MAX_TEKST + 1) + b"]]>", 1),
    }[plek]
    finding = _refused(data)
    assert finding.code == XML and finding.locatie == ("/Bericht/Client/Commentaar",)
    assert "de grens is 4.096" in finding.melding and "Kort de waarde in" in finding.melding


def test_findings_are_capped_at_100_plus_one_that_counts_the_rest() -> None:
    findings = [Finding(code="TR137", melding=f"fout {i}", retourcode="8137") for i in range(437)]
    capped = begrens(findings)
    assert capped[:MAX_BEVINDINGEN] == findings[:MAX_BEVINDINGEN] and len(capped) == MAX_BEVINDINGEN + 1
    assert capped[-1].code == BEPERKT and capped[-1].melding.startswith("En nog 337 bevinding(en)")
    assert begrens(capped) == capped and begrens(findings[:100]) == findings[:100]
    assert begrens([*capped, findings[0]])[-1].melding.startswith("En nog 338 ")


def test_the_xsd_step_builds_no_more_than_101_findings() -> None:
    data = declaratie(150).replace(b"<ProductCategorie>", b"<ProductCategorie>X")  # 300 XSD errors
    uitslag = validate(data)
    assert [f.code for f in uitslag.errors] == [XSD] * MAX_BEVINDINGEN + [BEPERKT]
    assert uitslag.errors[-1].melding.startswith("En nog 200 ")


def test_a_message_with_437_rule_findings_stores_and_returns_101(sessions) -> None:  # type: ignore[no-untyped-def]
    omgedraaid = re.sub(rb"<b:Begindatum>([0-9-]+)</b:Begindatum><b:Einddatum>([0-9-]+)</b:Einddatum>",
                        rb"<b:Begindatum>\2</b:Begindatum><b:Einddatum>\1</b:Einddatum>", declaratie(150))
    assert len(validate(omgedraaid).errors) == 437  # every finding still judges the message
    received = receive(sessions, omgedraaid, party=AANBIEDER)
    assert received.status == "rejected" and len(received.errors) == MAX_BEVINDINGEN + 1
    assert received.errors[-1].code == BEPERKT
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Bevinding)) == MAX_BEVINDINGEN + 1
    assert len(validate(omgedraaid).to_json()["errors"]) == MAX_BEVINDINGEN + 1  # type: ignore[arg-type]


class _Nullen(io.RawIOBase):
    """stdin that never ends, like /dev/zero, and fails the test if it is read past the size limit."""

    def __init__(self, grens: int):
        self.grens, self.gelezen = grens, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0 or self.gelezen > self.grens:
            raise AssertionError(f"read past the size limit (at {self.gelezen} bytes, asked {n})")
        self.gelezen += n
        return b"\0" * n


def test_validate_stops_reading_at_the_size_limit_and_answers_te_groot(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    grens = 1_000_000
    monkeypatch.setenv("IWMO_MAX_BERICHT_BYTES", str(grens))
    stdin = _Nullen(grens)
    monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": stdin})())
    assert cli.main(["validate", "-"]) == 1
    assert stdin.gelezen <= grens + 1 + (1 << 20)
    uit = capsys.readouterr().out
    assert "TE_GROOT" in uit and f"groter dan {grens} bytes" in uit
