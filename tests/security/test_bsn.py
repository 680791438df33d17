"""No BSN in a melding or a log line (issue #10 item 3 and the log-formatter part of item 11), one test each.

A melding about a Bsn element masks its value wherever it goes: the API's answer, the stored rows, the
retourbericht's endpoint and the console; parser meldingen mask any nine-digit run; the BSN elements come
from the schemas; findings stored before this release are masked by migration 0006; JSON log lines scrub a
BSN from the message, the extra fields and a traceback.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from gateway.api.app import create_app
from gateway.ingest.ontvang import receive
from gateway.logboek import JsonFormatter
from gateway.settings import Settings
from gateway.store import apikeys
from gateway.store.db import downgrade, make_engine, make_session_factory, upgrade_to_head
from gateway.store.models import Bevinding
from gateway.validation import safe_xml, schemas
from gateway.validation.validator import validate
from gateway.validation.xsd import bsn_elementen, maskeer_bsn
from tests.admin.omgeving import GEHEIM, csrf_uit
from tests.api.conftest import AANBIEDER, auth
from tests.api.conftest import XML as XML_HEADERS
from tests.msgedit import Msg
from tests.reference import our_example

BSN = "207416035"
FOUTE_BSNS = [" 207416035", "207416035<", "2074160350"]
NEGEN_CIJFERS = re.compile(r"\d{9}")


def _met_bsn(waarde: str) -> bytes:
    return Msg(our_example("WMO315")).set("Client/Bsn", waarde).bytes()


@pytest.fixture
def gateway(migrated_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    """A served gateway with its console, on SQLite and PostgreSQL: client, keys (aanbieder, admin), sessions."""
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        keys = {"aanbieder": apikeys.create(session, label="a", party=AANBIEDER).key,
                "admin": apikeys.create(session, label="beheer", role="admin").key}
    settings = Settings(database_url=migrated_url, admin_secret=GEHEIM, routes_file=str(tmp_path / "geen.toml"))
    with TestClient(create_app(settings), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client, keys, sessions
    engine.dispose()


@pytest.mark.parametrize("waarde", FOUTE_BSNS)
def test_an_xsd_melding_about_a_bsn_shows_it_nowhere_not_in_the_answer_the_rows_the_retour_or_the_console(
        gateway, waarde: str) -> None:  # type: ignore[no-untyped-def]
    client, keys, sessions = gateway
    r = client.post("/api/v1/berichten", content=_met_bsn(waarde), headers={**auth(keys["aanbieder"]), **XML_HEADERS})
    assert r.status_code == 201 and r.json()["status"] == "rejected"
    meldingen = [e["melding"] for e in r.json()["errors"] if e["locatie"] == ["/Bericht/Client/Bsn"]]
    assert any("is not accepted by the pattern" in m for m in meldingen)  # the fault is still told
    assert BSN not in r.text and not any(NEGEN_CIJFERS.search(m) for m in meldingen)

    with sessions() as session:
        opgeslagen = session.scalars(select(Bevinding.melding)).all()
    assert opgeslagen and not any(BSN in m or NEGEN_CIJFERS.search(m) for m in opgeslagen)

    retour = client.get(f"/api/v1/berichten/{r.json()['id']}/retour", headers=auth(keys["aanbieder"]))
    assert retour.status_code == 404 and BSN not in retour.text  # XSD-invalid: no retourbericht (IV028)

    pagina = client.get("/admin/inloggen")
    assert client.post("/admin/inloggen", data={"sleutel": keys["admin"], "csrf": csrf_uit(pagina.text)}).status_code == 303
    console = client.get(f"/admin/berichten/{r.json()['id']}")
    assert console.status_code == 200 and "is not accepted by the pattern" in console.text
    assert BSN not in console.text


def test_a_parser_melding_never_quotes_a_nine_digit_run() -> None:
    data = our_example("WMO315").replace(f"<Bsn>{BSN}</Bsn>".encode(), f"<Bsn>{BSN}</Bsn{BSN}>".encode())
    with pytest.raises(safe_xml.XmlRefused) as refused:
        safe_xml.parse(data)
    assert "De eindtag" in refused.value.finding.melding and BSN not in refused.value.finding.melding


def test_a_bsn_quoted_in_a_melding_about_a_bsn_element_is_masked_whatever_the_message_format() -> None:
    assert maskeer_bsn(f"Element 'Bsn': '{BSN}x' is not a valid value of the atomic type 'T'.") == (
        "Element 'Bsn': '**********' is not a valid value of the atomic type 'T'.")
    assert BSN not in maskeer_bsn(f"Element Bsn: the quote {BSN}' is odd ' is not accepted")
    toewijzing = f"Element ToewijzingNummer: [facet 'pattern'] The value '{BSN}' is not accepted by the pattern 'x'."
    assert maskeer_bsn(toewijzing) == toewijzing  # only BSN elements: a ToewijzingNummer may be nine digits


def test_the_elements_that_carry_a_bsn_are_read_from_the_schemas(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    eigen = tmp_path / "xsd"
    shutil.copytree(schemas.schema_dir(), eigen)
    extra = eigen / "extra.xsd"
    extra.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:iwmo="urn:x">'
        '<xs:simpleType name="LDT_BsnPartner"><xs:restriction base="iwmo:LDT_BurgerServicenummer"/></xs:simpleType>'
        '<xs:element name="BsnPartner" type="iwmo:LDT_BsnPartner"/></xs:schema>', encoding="utf-8")
    monkeypatch.setenv("IWMO_SCHEMA_DIR", str(eigen))
    assert {"Bsn", "BsnPartner"} <= bsn_elementen()
    assert BSN not in maskeer_bsn(f"Element BsnPartner: [facet 'pattern'] The value '{BSN} ' is not accepted.")


def test_migration_0006_masks_bsns_in_findings_stored_before_it(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    sessions = make_session_factory(engine)
    ontvangen = receive(sessions, _met_bsn(" 207416035"), party=AANBIEDER)
    onthuld = f"Element Bsn: [facet 'pattern'] The value ' {BSN}' is not accepted by the pattern '[0-9]{{9}}'."
    toewijzing = f"Element ToewijzingNummer: [facet 'pattern'] The value '{BSN}' is not accepted by the pattern 'x'."
    with sessions() as session, session.begin():  # rows as an earlier release wrote them
        ids = session.scalars(select(Bevinding.id).where(Bevinding.bericht_id == ontvangen.id)
                              .order_by(Bevinding.id)).all()
        session.execute(update(Bevinding).where(Bevinding.id == ids[0]).values(melding=onthuld))
        session.execute(update(Bevinding).where(Bevinding.id == ids[1]).values(melding=toewijzing))
    downgrade(migrated_url, "0005")
    upgrade_to_head(migrated_url)
    with sessions() as session:
        meldingen = {ident: melding for ident, melding in session.execute(select(Bevinding.id, Bevinding.melding))}
    engine.dispose()
    assert meldingen[ids[0]] == "Element Bsn: [facet 'pattern'] The value ' *********' is not accepted by the " \
                                "pattern '[0-9]{9}'."
    assert meldingen[ids[1]] == toewijzing


def _logregel(record: logging.LogRecord) -> str:
    return JsonFormatter().format(record)


def test_json_log_lines_scrub_a_bsn_from_the_message_and_the_extra_fields() -> None:
    record = logging.LogRecord("gateway.http", logging.INFO, __file__, 1, "client %s, typo %s", (BSN, BSN + "0"),
                               None)
    for key, value in {"request_id": BSN, "path": f"/api/v1/berichten/{BSN}", "party": int(BSN),
                       "bericht_id": f"x{BSN}x", "status": 201}.items():
        setattr(record, key, value)
    regel = _logregel(record)
    assert BSN not in regel
    assert json.loads(regel)["status"] == 201 and json.loads(regel)["msg"].startswith("client *********, typo ")


def test_json_log_lines_scrub_a_bsn_from_an_exception_traceback() -> None:
    try:
        raise ValueError(f"Bsn {BSN} onbekend")
    except ValueError:
        record = logging.LogRecord("gateway", logging.ERROR, __file__, 1, "mislukt", (), sys.exc_info())
    regel = _logregel(record)
    assert "ValueError" in json.loads(regel)["exc"] and BSN not in regel


def test_the_configured_log_handler_scrubs_what_the_gateway_logs(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gateway.logboek import configure_logging

    uit = io.StringIO()
    monkeypatch.setattr(sys, "stderr", uit)
    root, access = logging.getLogger(), logging.getLogger("uvicorn.access")
    handlers, level, uit_gezet = root.handlers[:], root.level, access.disabled
    try:
        configure_logging("INFO")
        logging.getLogger("gateway.test").info("bericht voor %s", BSN, extra={"party": BSN})
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        access.disabled = uit_gezet
    assert "bericht voor" in uit.getvalue() and BSN not in uit.getvalue()


def test_a_validate_of_a_bad_bsn_prints_no_bsn(capsys) -> None:  # type: ignore[no-untyped-def]
    from gateway import cli

    uitslag = validate(_met_bsn("2074160350"))
    assert not uitslag.valid and all(BSN not in f.melding for f in uitslag.errors)
    cli._print_human("x.xml", uitslag)
    assert BSN not in capsys.readouterr().out
