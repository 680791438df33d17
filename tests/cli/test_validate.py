"""`iwmo-gateway validate` over several files: one JSON object for each, an unreadable one as BESTAND, a folder
as the .xml files in it, and the documented exit codes (0 all valid, 1 one invalid, 2 one unreadable)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from gateway.cli import BESTAND, main
from tests.reference import our_example


def _schrijf(map: Path, naam: str, data: bytes) -> str:
    pad = map / naam
    pad.write_bytes(data)
    return str(pad)


def test_json_has_an_object_for_every_file_and_a_missing_one_is_bestand_with_exit_two(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    goed = _schrijf(tmp_path, "goed.xml", our_example("WMO301"))
    weg = str(tmp_path / "bestaat-niet.xml")
    assert main(["validate", "--json", goed, weg]) == 2
    uit = capsys.readouterr()
    resultaten = json.loads(uit.out)
    assert [r["file"] for r in resultaten] == [goed, weg]
    assert resultaten[0]["valid"] is True
    assert resultaten[1]["valid"] is False and resultaten[1]["bericht"] is None
    [fout] = resultaten[1]["errors"]
    assert fout["code"] == BESTAND and fout["retourcode"] is None and fout["locatie"] == []
    assert "bestaat niet" in fout["melding"] and "No such file" not in uit.out + uit.err


def test_an_unreadable_file_does_not_stop_the_files_after_it(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    weg = str(tmp_path / "weg.xml")
    fout = _schrijf(tmp_path, "fout.xml", b"<a><b></a>")
    assert main(["validate", weg, fout]) == 2
    uit = capsys.readouterr()
    assert f"{fout}: onbekend ONGELDIG" in uit.out  # judged after the missing one
    assert weg in uit.err and "bestaat niet" in uit.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_file_without_read_permission_is_bestand_in_dutch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dicht = _schrijf(tmp_path, "dicht.xml", our_example("WMO301"))
    os.chmod(dicht, 0)
    try:
        assert main(["validate", "--json", dicht]) == 2
    finally:
        os.chmod(dicht, stat.S_IRUSR | stat.S_IWUSR)
    assert "geen leesrecht" in json.loads(capsys.readouterr().out)[0]["errors"][0]["melding"]


def test_invalid_but_readable_files_still_exit_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    goed = _schrijf(tmp_path, "goed.xml", our_example("WMO301"))
    fout = _schrijf(tmp_path, "fout.xml", b"<a><b></a>")
    assert main(["validate", "--json", goed, fout]) == 1
    assert [r["valid"] for r in json.loads(capsys.readouterr().out)] == [True, False]


def test_a_folder_validates_the_xml_files_in_it_sorted_by_name(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    map = tmp_path / "berichten"
    (map / "sub").mkdir(parents=True)
    b = _schrijf(map, "b.XML", our_example("WMO305"))
    a = _schrijf(map, "a.xml", b"<kapot")
    _schrijf(map, "lees-mij.txt", b"geen bericht")
    _schrijf(map / "sub", "c.xml", our_example("WMO301"))  # not recursive
    assert main(["validate", "--json", str(map)]) == 1
    resultaten = json.loads(capsys.readouterr().out)
    assert [(r["file"], r["valid"]) for r in resultaten] == [(a, False), (b, True)]


def test_a_folder_without_xml_files_is_bestand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--json", str(tmp_path)]) == 2
    [resultaat] = json.loads(capsys.readouterr().out)
    assert resultaat["file"] == str(tmp_path)
    assert resultaat["errors"][0]["code"] == BESTAND and "geen .xml-bestanden" in resultaat["errors"][0]["melding"]


def test_the_exit_codes_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    hulp = " ".join(capsys.readouterr().out.split())
    assert "0: alles geldig" in hulp and "1: een bericht ongeldig" in hulp and "2: een bestand onleesbaar" in hulp
