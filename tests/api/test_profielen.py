"""GET /api/v1/profielen: every installed profile, for any authenticated caller, read from the profiles, the
catalogue, the rule registries and the schema folder the validator really uses."""

from __future__ import annotations

import shutil
from pathlib import Path

from gateway.standard import catalogue, profielen
from gateway.validation.cross.registry import all_cross_rules
from gateway.validation.rules.registry import all_rules
from tests.api.conftest import auth


def _codes(regels: list, profiel: profielen.Profiel, *, kruis: bool = False) -> set[str]:  # type: ignore[type-arg]
    """The rule codes a profile enables, from its own data: the codes it switches on, of rules written for its
    standard."""
    return {r.code for r in regels if profiel.schakelt_in(r.code, kruis=kruis)
            and (r.standaarden is None or profiel.standaard in r.standaarden)}


def test_profielen_needs_a_key(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    r = client.get("/api/v1/profielen")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_every_installed_profile_is_listed_for_any_caller(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    for key in (keys.gemeente, keys.aanbieder, keys.admin):
        r = client.get("/api/v1/profielen", headers=auth(key))
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert [p["sleutel"] for p in r.json()] == [p.sleutel for p in profielen.PROFIELEN]


def test_a_profile_names_its_release_header_version_namespace_and_messages(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    gezien = {p["sleutel"]: p for p in client.get("/api/v1/profielen", headers=auth(keys.gemeente)).json()}
    for profiel in profielen.PROFIELEN:
        p = gezien[profiel.sleutel]
        assert (p["standaard"], p["release"], p["bericht_versie"], p["bericht_subversie"], p["namespace_root"]) == (
            profiel.standaard, profiel.release, profiel.bericht_versie, profiel.bericht_subversie,
            profiel.namespace_root)
        assert p["versies"] == [profiel.versie, f"{profiel.versie}.0"]
        assert [(b["naam"], b["berichtcode"]) for b in p["berichten"]] == [
            (b.naam, b.berichtcode) for b in catalogue.alle(profiel)]
        assert all(catalogue.by_namespace(f"{p['namespace_root']}/{b['naam'].lower()}/schema") is not None
                   for b in p["berichten"])
        assert "schema_map" not in p  # the server's own paths stay on the server


def test_rule_counts_are_the_codes_each_profile_enables(api) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    gezien = {p["sleutel"]: p for p in client.get("/api/v1/profielen", headers=auth(keys.gemeente)).json()}
    for profiel in profielen.PROFIELEN:
        assert gezien[profiel.sleutel]["regels"] == len(_codes(all_rules(), profiel))
        assert gezien[profiel.sleutel]["kruisregels"] == len(_codes(all_cross_rules(), profiel, kruis=True))


def test_the_xsd_version_is_read_from_the_schema_folder_in_use(api, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, keys = api
    eigen = profielen.IWMO_32.schema_dir
    kopie = tmp_path / "release"
    shutil.copytree(eigen, kopie)
    basis = kopie / "basisschema.xsd"
    tekst = basis.read_text(encoding="utf-8")
    assert "<iwmo:BasisschemaXsdVersie>1.0.0</iwmo:BasisschemaXsdVersie>" in tekst
    basis.write_text(tekst.replace("<iwmo:BasisschemaXsdVersie>1.0.0<", "<iwmo:BasisschemaXsdVersie>1.0.7<", 1),
                     encoding="utf-8")
    monkeypatch.setenv("IWMO_SCHEMA_DIR", str(kopie))
    gezien = {p["sleutel"]: p for p in client.get("/api/v1/profielen", headers=auth(keys.gemeente)).json()}
    assert gezien["iwmo-3.2"]["xsd_versie"] == "1.0.7"
    monkeypatch.setenv("IWMO_SCHEMA_DIR", str(tmp_path / "leeg"))
    gezien = {p["sleutel"]: p for p in client.get("/api/v1/profielen", headers=auth(keys.gemeente)).json()}
    assert gezien["iwmo-3.2"]["xsd_versie"] is None
