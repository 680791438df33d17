"""The console's replay pages: /admin/herverwerking (filter, dry run, start) and one batch with its progress and
pause/resume. The engine is gateway/herverwerking; this module only translates forms to its calls and back.
Starting, pausing and resuming are operator actions with the session's CSRF token, like every console form."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi import Path as Padwaarde
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.admin import sessie
from gateway.admin.routes import Alleenbeheerder, Beheer, _console, _fout, _keuzes, _pagina
from gateway.herverwerking import plan, uitvoering
from gateway.herverwerking.selectie import VELDEN, OngeldigeSelectie, lees

router = APIRouter(prefix="/admin", include_in_schema=False)

GETOOND = 200  # steps of a dry run shown on the page; the count covers all
_ID = Annotated[int, Padwaarde(ge=1, le=2**31 - 1)]
_ACTIES = {
    plan.Actie.HERBEOORDELEN: "herbeoordelen met de regels en het XSD van nu",
    plan.Actie.OPNIEUW_IN_WACHTRIJ: "niet-afleverbare berichten opnieuw in de wachtrij",
    plan.Actie.OPNIEUW_VERZENDEN: "opnieuw verzenden aan de partner",
}
_UITKOMSTEN = {
    "oordeel_gelijk": "oordeel ongewijzigd", "oordeel_gewijzigd": "oordeel gewijzigd",
    "in_wachtrij": "opnieuw in de wachtrij", "opnieuw_verzonden": "opnieuw verzonden",
    "overgeslagen": "overgeslagen", "fout": "mislukt", "open": "nog te doen",
}
_MELDINGEN = {"gepauzeerd": "De herverwerking is gepauzeerd: de worker maakt het lopende deel af en wacht dan.",
              "hervat": "De herverwerking is hervat: de worker gaat verder met het volgende bericht.",
              "gestart": "De herverwerking is gestart: de worker verwerkt haar in delen. Ververs om de voortgang "
                         "te zien."}


def _lees_verzoek(velden: dict[str, str]) -> tuple[Any, plan.Actie, bool]:
    """The form → (selectie, actie, nieuwe_verzending); raises OngeldigeSelectie naming the field."""
    actie_tekst = velden.get("actie", "")
    try:
        actie = plan.Actie(actie_tekst)
    except ValueError:
        raise OngeldigeSelectie([("actie", f"kies {', '.join(a.value for a in plan.Actie)}")]) from None
    nieuwe_verzending = velden.get("nieuwe_verzending") == "1"
    try:
        plan.controleer(actie, nieuwe_verzending)
    except plan.Ongeldig as fout:
        raise OngeldigeSelectie([("nieuwe_verzending", str(fout))]) from None
    selectie = lees({v: velden[v] for v in VELDEN if velden.get(v, "").strip()})
    return selectie, actie, nieuwe_verzending


def _context(request: Request, velden: dict[str, str]) -> dict[str, Any]:
    with _console(request).sessions() as s:
        return {**_keuzes(s), "acties": _ACTIES, "uitkomsten": _UITKOMSTEN, "velden": velden,
                "batches": uitvoering.lijst(s), "proef": None, "fout": ""}


def _foutmelding(fout: OngeldigeSelectie) -> str:
    return "Het filter kan zo niet: " + "; ".join(f"{veld}: {melding}" for veld, melding in fout.problemen) + "."


@router.get("/herverwerking", response_class=HTMLResponse)
def herverwerking(request: Request, b: Beheer) -> HTMLResponse:
    """The form; with `actie` in the query it is a dry run (nothing written, so a GET)."""
    velden = {k: v for k, v in request.query_params.items() if k in (*VELDEN, "actie", "nieuwe_verzending")}
    context = _context(request, velden)
    if "actie" not in velden:
        return _pagina(request, "herverwerking.html", context, b=b)
    try:
        selectie, actie, nieuwe_verzending = _lees_verzoek(velden)
    except OngeldigeSelectie as fout:
        return _pagina(request, "herverwerking.html", {**context, "fout": _foutmelding(fout)}, status_code=400, b=b)
    with _console(request).sessions() as s:
        proef = plan.proef(s, selectie, actie, nieuwe_verzending=nieuwe_verzending, limit=GETOOND)
    return _pagina(request, "herverwerking.html", {**context, "proef": proef, "getoond": GETOOND}, b=b)


@router.post("/herverwerking")
def herverwerking_starten(request: Request, b: Alleenbeheerder, actie: Annotated[str, Form()] = "",
                          nieuwe_verzending: Annotated[str, Form()] = "", status: Annotated[str, Form()] = "",
                          berichttype: Annotated[str, Form()] = "", partner: Annotated[str, Form()] = "",
                          regel: Annotated[str, Form()] = "", retourcode: Annotated[str, Form()] = "",
                          vanaf: Annotated[str, Form()] = "", tot: Annotated[str, Form()] = "") -> Response:
    velden = {"actie": actie, "nieuwe_verzending": nieuwe_verzending, "status": status, "berichttype": berichttype,
              "partner": partner, "regel": regel, "retourcode": retourcode, "vanaf": vanaf, "tot": tot}
    try:
        selectie, gekozen, nieuw = _lees_verzoek(velden)
        with _console(request).sessions() as s, s.begin():
            batch = uitvoering.start(s, selectie, gekozen, actor=b.actor, nieuwe_verzending=nieuw)
            batch_id = batch.id
    except OngeldigeSelectie as fout:
        return _pagina(request, "herverwerking.html", {**_context(request, velden), "fout": _foutmelding(fout)},
                       status_code=400, b=b)
    except uitvoering.Geweigerd as fout:
        return _pagina(request, "herverwerking.html", {**_context(request, velden), "fout": fout.melding},
                       status_code=fout.status, b=b)
    return RedirectResponse(f"/admin/herverwerking/{batch_id}?melding=gestart", status_code=303)


def _batchpagina(request: Request, b: sessie.Beheerder, herverwerking_id: int, *, melding: str = "",
                 fout: str = "", status_code: int = 200) -> HTMLResponse:
    with _console(request).sessions() as s:
        try:
            v = uitvoering.voortgang(s, herverwerking_id)
        except uitvoering.Geweigerd as geweigerd:
            return _fout(request, b, 404, geweigerd.melding + " Zie de lijst op de pagina Herverwerking.")
        items = uitvoering.items(s, herverwerking_id)
    proef = urlencode({k: w for k, w in {**v.filter, "actie": v.actie,
                                          "nieuwe_verzending": "1" if v.nieuwe_verzending else ""}.items() if w})
    return _pagina(request, "herverwerking_batch.html", {
        "v": v, "items": items, "acties": _ACTIES, "uitkomsten": _UITKOMSTEN, "melding": melding, "fout": fout,
        "procent": int(100 * v.verwerkt / v.totaal) if v.totaal else 100, "proef": proef,
    }, status_code=status_code, b=b)


@router.get("/herverwerking/{herverwerking_id}", response_class=HTMLResponse)
def batch(request: Request, b: Beheer, herverwerking_id: _ID, melding: str = "") -> HTMLResponse:
    return _batchpagina(request, b, herverwerking_id, melding=_MELDINGEN.get(melding, ""))


def _wissel(request: Request, b: sessie.Beheerder, herverwerking_id: int, doe: Any, naam: str) -> Response:
    try:
        with _console(request).sessions() as s, s.begin():
            doe(s, herverwerking_id, actor=b.actor)
    except uitvoering.Geweigerd as fout:
        return _batchpagina(request, b, herverwerking_id, fout=fout.melding, status_code=fout.status)
    return RedirectResponse(f"/admin/herverwerking/{herverwerking_id}?melding={naam}", status_code=303)


@router.post("/herverwerking/{herverwerking_id}/pauzeren")
def pauzeren(request: Request, b: Alleenbeheerder, herverwerking_id: _ID) -> Response:
    return _wissel(request, b, herverwerking_id, uitvoering.pauzeer, "gepauzeerd")


@router.post("/herverwerking/{herverwerking_id}/hervatten")
def hervatten(request: Request, b: Alleenbeheerder, herverwerking_id: _ID) -> Response:
    return _wissel(request, b, herverwerking_id, uitvoering.hervat, "hervat")
