"""The validation core: safe parsing of hostile input, message detection, XSD findings, the CLI contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.standard import catalogue
from gateway.standard.profielen import IWMO_32
from gateway.validation.validator import validate
from tests.msgedit import Msg
from tests.reference import our_example

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE b [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema">&xxe;</wmo301:Bericht>"""


def _codes(data: bytes) -> list[str]:
    return [f.code for f in validate(data).errors]


def test_billion_laughs_is_refused_without_expansion() -> None:
    assert _codes(BILLION_LAUGHS) == ["XML"]


def test_external_entity_is_refused_and_never_read() -> None:
    uitslag = validate(EXTERNAL_ENTITY)
    assert [f.code for f in uitslag.errors] == ["XML"]
    assert "DOCTYPE" in uitslag.errors[0].melding


def test_message_over_size_limit_is_refused_before_parsing() -> None:
    data = b"<a>" + b" " * (25 * 1024 * 1024) + b"</a>"
    uitslag = validate(data)
    assert [f.code for f in uitslag.errors] == ["TE_GROOT"]
    assert "20971520" in uitslag.errors[0].melding


def test_size_limit_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IWMO_MAX_BERICHT_BYTES", "100")
    assert _codes(our_example("WMO305")) == ["TE_GROOT"]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "leeg"),
        (b"   \n\t", "leeg"),
        (bytes(range(256)) * 4, "UTF-8"),
        ("<a>é</a>".encode("utf-16"), "UTF-16"),
        (b"<a><b></a>", "welgevormde"),
        (b"<?xml version='1.0' encoding='ISO-8859-1'?><a>x</a>", "encoding"),
    ],
)
def test_unreadable_input_gets_a_clear_xml_error(data: bytes, fragment: str) -> None:
    errors = validate(data).errors
    assert [f.code for f in errors] == ["XML"]
    assert fragment in errors[0].melding


def test_malformed_xml_reports_the_line() -> None:
    errors = validate(b"<a>\n<b>\n</a>").errors
    assert errors[0].regel == 3


def test_unknown_namespace_is_onbekend_bericht() -> None:
    data = b'<Bericht xmlns="http://example.org/wmo301/schema"/>'
    uitslag = validate(data)
    assert uitslag.bericht is None
    assert [f.code for f in uitslag.errors] == ["ONBEKEND_BERICHT"]
    assert "iWmo 3.2, iJw 3.2" in uitslag.errors[0].melding


def test_a_release_that_is_not_installed_is_refused_with_a_profile_finding() -> None:
    """A 3.3 namespace, or a 3.2 namespace whose header names another BerichtSubversie."""
    uitslag = validate(b'<Bericht xmlns="http://www.istandaarden.nl/ijw/3_3/jw301/schema"/>')
    assert uitslag.bericht is None and [f.code for f in uitslag.errors] == ["PROFIEL"]
    assert "ijw 3.3" in uitslag.errors[0].melding and "niet is geïnstalleerd" in uitslag.errors[0].melding
    xml = our_example("WMO301").replace(b"<BerichtSubversie>2<", b"<BerichtSubversie>3<")
    assert xml != our_example("WMO301")
    uitslag = validate(xml)
    assert [f.code for f in uitslag.errors] == ["PROFIEL"]
    assert "BerichtSubversie 3" in uitslag.errors[0].melding and "iWmo 3.2" in uitslag.errors[0].melding


@pytest.mark.parametrize("bericht", [b.naam for b in catalogue.alle(IWMO_32) if b.is_heenbericht])
def test_our_example_messages_are_detected_and_valid(bericht: str) -> None:
    uitslag = validate(our_example(bericht))
    assert uitslag.bericht is not None and uitslag.bericht.naam == bericht
    assert uitslag.errors == []


def test_xsd_error_names_code_line_location_and_what_to_do() -> None:
    msg = Msg(our_example("WMO305"))
    msg.set("Client/Bsn", "12345678X")
    errors = validate(msg.bytes()).errors
    assert [f.code for f in errors] == ["XSD"]
    assert errors[0].locatie == ("/Bericht/Client/Bsn",)
    assert errors[0].regel is not None
    # The value of a Bsn element is never quoted (tests/security/test_bsn.py); its element and fault are.
    assert "Bsn" in errors[0].melding and "'*********'" in errors[0].melding and "12345678" not in errors[0].melding
    assert "Vul een waarde in" in errors[0].melding


def test_xsd_location_indexes_repeated_siblings() -> None:
    msg = Msg(our_example("WMO305"))
    products = msg.el("Client/StartProducten")
    assert len(products) >= 2, "our WMO305 example has two StartProducten"
    msg.set("Client/StartProducten/StartProduct[2]/Begindatum", "2026-02-30")
    errors = validate(msg.bytes()).errors
    assert errors[0].locatie == ("/Bericht/Client/StartProducten/StartProduct[2]/Begindatum",)


def test_rules_do_not_run_on_an_xsd_invalid_message() -> None:
    msg = Msg(our_example("WMO305"))
    msg.set("Client/Bsn", "123456789")  # fails the 11-proef (CS002) but is XSD-valid
    msg.set("Header/Ontvanger", "12345")  # XSD-invalid
    assert {f.code for f in validate(msg.bytes()).errors} == {"XSD"}


# -- CLI contract ---------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_cli_json_contract_in_argument_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "goed.xml", our_example("WMO301"))
    bad = _write(tmp_path, "leeg.xml", b"")
    assert main(["validate", "--json", bad, good]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in out] == [bad, good]
    assert out[0] == {
        "file": bad,
        "bericht": None,
        "valid": False,
        "errors": [{"code": "XML", "retourcode": None, "locatie": [], "melding": out[0]["errors"][0]["melding"]}],
    }
    assert out[1] == {"file": good, "bericht": "WMO301", "valid": True, "errors": []}


def test_cli_exit_zero_when_all_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "a.xml", our_example("WMO305"))
    assert main(["validate", good]) == 0
    assert "WMO305 geldig" in capsys.readouterr().out


def test_cli_usage_error_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2


def test_cli_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "bestaat-niet.xml")]) == 2


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, b"", bytes(range(256)) * 4],
    ids=["billion-laughs", "external-entity", "empty", "binary"],
)
def test_console_script_refuses_hostile_input_with_exit_one(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "kwaad.xml", data)
    proc = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "validate", "--json", path], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)[0]["errors"][0]["code"] == "XML"


def test_the_largest_legitimate_declaratie_passes_the_shape_limits_untouched() -> None:
    from gateway.demo.generate import declaratie
    from gateway.validation import safe_xml

    data = declaratie(38_000)  # ~20 MB: the size limit's worth of Client/Prestaties/Prestatie
    assert safe_xml.DEFAULT_MAX_BYTES - 1_000_000 < len(data) <= safe_xml.DEFAULT_MAX_BYTES
    assert safe_xml.parse(data).root is not None


def test_comments_full_of_angle_brackets_do_not_count_as_elements() -> None:
    from gateway.validation import safe_xml

    opmerking = b"<!-- " + b"<" * (safe_xml.max_elementen(100_000) + 10) + b" -->"
    data = our_example("WMO315").replace(b"<Header>", opmerking + b"<Header>", 1)
    assert safe_xml.parse(data, max_bytes=100_000).root is not None


# -- issue #11: the same verdicts, cheaper ---------------------------------------------------------------------


def test_validate_on_the_command_line_imports_no_web_database_or_transport_code(tmp_path: Path) -> None:
    # Importing these took longer than validating a message; the command needs none of them.
    path = _write(tmp_path, "WMO301.xml", our_example("WMO301"))
    probe = ("import sys; from gateway.cli import main; code = main(['validate', sys.argv[1]]); "
             "print(sorted(m for m in sys.modules if m.partition('.')[0] in "
             "('fastapi', 'starlette', 'sqlalchemy', 'uvicorn', 'httpx', 'pydantic', 'pydantic_settings') "
             "or m.startswith(('gateway.api', 'gateway.admin', 'gateway.store', 'gateway.transport', "
             "'gateway.ingest', 'gateway.hub', 'gateway.serve', 'gateway.settings')))); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", probe, path], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


def test_the_other_commands_are_still_listed_and_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    hulp = capsys.readouterr().out
    assert all(commando in hulp for commando in ("validate", "regels", "retour", "serve", "db", "audit"))


def test_rules_run_once_per_message_yield_anchors_their_anchor_path_selects_in_document_order() -> None:
    """A `per_bericht` rule locates its own anchors; they must be the ones the declared anchor path selects,
    or the findings would be ordered (and the rule documented) differently from what it checks."""
    import copy
    from typing import Any

    from gateway.demo.generate import declaratie
    from gateway.validation import safe_xml
    from gateway.validation.rules.registry import RuleContext, _plan
    from gateway.validation.validator import detect

    root = safe_xml.parse(declaratie(40, 3)).root
    prestaties = root.findall(".//{*}Prestatie")

    def veld(prestatie: Any, naam: str) -> Any:
        return prestatie.find(f".//{{*}}{naam}")

    def vorig(prestatie: Any, van: Any) -> None:
        veld(prestatie, "DebetCredit").text = "C"
        nummer = veld(prestatie, "ReferentieNummer")
        nummer.addnext(copy.deepcopy(nummer))
        nummer.getnext().tag = nummer.tag.replace("ReferentieNummer", "VorigReferentieNummer")
        nummer.getnext().text = veld(van, "ReferentieNummer").text

    veld(prestaties[0], "DebetCredit").text = "C"  # CD060
    veld(prestaties[2], "ProductTarief").getparent().remove(veld(prestaties[2], "ProductTarief"))  # CD087
    veld(prestaties[3], "Begindatum").text = "2020-05-01"  # CS100, CS337
    veld(prestaties[4], "Einddatum").text = "2026-04-01"  # TR137
    prestaties[5].addnext(copy.deepcopy(prestaties[5]))  # TR101, TR416
    vorig(prestaties[8], prestaties[6])  # TR316
    vorig(prestaties[9], prestaties[6])  # TR315
    bericht = detect(root)
    assert bericht is not None
    ctx = RuleContext(bericht, root)
    gecontroleerd: set[str] = set()
    for _order, rule, anchors in _plan(bericht).rules:
        if not rule.per_bericht:
            continue
        toegestaan = {el: i for i, el in enumerate(anchors(root))}
        gevonden = [anchor for anchor, _fault in rule.check(ctx)]  # type: ignore[call-arg]
        assert all(anchor in toegestaan for anchor in gevonden), rule.code
        assert [toegestaan[a] for a in gevonden] == sorted(toegestaan[a] for a in gevonden), rule.code
        if gevonden:
            gecontroleerd.add(rule.code)
    assert {"CD060", "CD087", "CS100", "CS337", "TR137", "TR315", "TR316", "TR416"} <= gecontroleerd


@pytest.mark.parametrize("verschuiving", [0, 1, 1000, 2047, 2048, 2049, 4095])
def test_a_value_one_character_over_the_text_limit_is_refused_wherever_it_lies(verschuiving: int) -> None:
    # The byte scan looks at aligned windows; a too long value must be caught at any offset against them.
    import re

    from gateway.validation import safe_xml

    def met_commentaar(tekst: bytes) -> bytes:
        opvulling = b"<!--" + b" " * verschuiving + b"-->"  # moves the value against the windows
        return re.sub(rb"<Commentaar>[^<]*", opvulling + b"<Commentaar>" + tekst, our_example("WMO315"), count=1)

    with pytest.raises(safe_xml.XmlRefused):
        safe_xml.parse(met_commentaar(b"x" * (safe_xml.MAX_TEKST + 1)))
    assert safe_xml.parse(met_commentaar(b"x" * safe_xml.MAX_TEKST)).root is not None


def test_the_element_limit_is_exact_whatever_the_byte_bounds_say() -> None:
    from gateway.validation import safe_xml

    grens = safe_xml.max_elementen(100_000)
    tot_de_grens = b"<Bericht>" + b"<a></a>" * (grens - 1) + b"</Bericht>"  # every end tag counts as a `<`
    assert safe_xml.parse(tot_de_grens, max_bytes=100_000).root is not None
    with pytest.raises(safe_xml.XmlRefused):
        safe_xml.parse(tot_de_grens.replace(b"<a></a>", b"<a></a><b/>", 1), max_bytes=100_000)


@pytest.mark.parametrize("kop", [
    b'<!doctype Bericht SYSTEM "file:///etc/hostname">\n',  # lower case
    b'<!-- eerst een opmerking -->\n<!DocType Bericht [<!ENTITY x "y">]>\n',
    b'<!ENTITY x SYSTEM "file:///etc/hostname">\n',  # an entity declaration without DOCTYPE
], ids=["doctype-lower", "doctype-after-comment", "entity-only"])
def test_every_spelling_of_a_doctype_or_entity_declaration_is_refused_before_parsing(kop: bytes) -> None:
    data = our_example("WMO301").replace(b"?>\n", b"?>\n" + kop, 1)
    assert kop in data
    uitslag = validate(data)
    assert [f.code for f in uitslag.errors] == ["XML"]
    assert "DOCTYPE" in uitslag.errors[0].melding


def test_the_schema_file_is_looked_up_again_when_the_schema_folder_changes(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.validation.schemas import schema_dir, schema_path

    eigen = schema_path("WMO301")
    leeg, hoofdletters = tmp_path / "leeg", tmp_path / "hoofdletters"
    leeg.mkdir()
    hoofdletters.mkdir()
    (hoofdletters / "WMO301.xsd").write_bytes(eigen.read_bytes())  # official bundles spell names in capitals
    monkeypatch.setenv("IWMO_SCHEMA_DIR", str(leeg))
    assert schema_path("WMO301") == leeg / eigen.name and not (leeg / eigen.name).exists()
    (leeg / eigen.name).write_bytes(eigen.read_bytes())  # installed later: found, not the earlier answer
    assert schema_path("WMO301") == leeg / eigen.name
    monkeypatch.setenv("IWMO_SCHEMA_DIR", str(hoofdletters))
    assert schema_path("WMO301") == hoofdletters / "WMO301.xsd"
    monkeypatch.delenv("IWMO_SCHEMA_DIR")
    assert schema_path("WMO301") == eigen == schema_dir() / eigen.name
