"""`iwmo-gateway profielen`: the installed profiles as a readable table and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from gateway.standard import catalogue, profielen
from gateway.validation.profieloverzicht import overzicht


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    schoon = {k: v for k, v in os.environ.items() if not k.startswith("IWMO_")}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "profielen", *args], env=schoon, text=True,
                          capture_output=True, timeout=120, check=False)


def test_the_table_names_every_profile_and_its_messages() -> None:
    r = _cli()
    assert r.returncode == 0 and r.stderr == ""
    regels = r.stdout.splitlines()
    kop = regels[0].split()
    assert kop[:3] == ["profiel", "standaard", "release"]
    for profiel in profielen.PROFIELEN:
        rij = next(regel.split() for regel in regels if regel.startswith(profiel.sleutel + " "))
        assert rij[1:3] == [profiel.standaard, profiel.release] and profiel.namespace_root in rij
        for b in catalogue.alle(profiel):
            assert any(regel.split()[:2] == [b.naam, b.berichtcode] for regel in regels), b.naam


def test_json_gives_one_object_per_profile_with_the_facts_of_the_overview() -> None:
    r = _cli("--json")
    assert r.returncode == 0
    uit = json.loads(r.stdout)
    assert uit == json.loads(json.dumps([p.to_json() for p in overzicht()]))
    assert [p["sleutel"] for p in uit] == [p.sleutel for p in profielen.PROFIELEN]
    assert {"versies", "bericht_versie", "bericht_subversie", "namespace_root", "xsd_versie", "schema_map",
            "berichten", "regels", "kruisregels"} <= set(uit[0])
    assert uit[0]["xsd_versie"] == profielen.IWMO_32.xsd_versie  # our own schemas implement the version we write
