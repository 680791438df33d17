"""The admin console under /admin: server-rendered pages over the store, the lifecycle and the outbox.

Routers only translate HTTP to calls and back; who may do what is decided by dependencies: `beheerder` (signed
in with a live server-side session, else a redirect to the sign-in page or 401), `csrf` (every POST carries the
session's token, else 403) and `operator` (actions, else 403). Sign-in attempts are braked per address and per
key prefix (`inlogrem`); every console response carries the security headers of `koppen`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as Padwaarde
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.admin import (
    abonnementen,
    acties,
    dashboard,
    declaraties,
    detail,
    export,
    inlogrem,
    lijst,
    partners,
    sessie,
    sessieregister,
    tijdlijn,
    uitleg,
    woorden,
)
from gateway.admin.grafiek import staafgrafiek
from gateway.admin.xmlweergave import masker
from gateway.identiteit import key_hash, key_prefix
from gateway.ingest import beslissing
from gateway.standard import catalogue, profielen
from gateway.standard.codelijsten import betekenis
from gateway.store import audit, partnerprofielen
from gateway.store.apikeys import authenticate
from gateway.store.lifecycle import Status
from gateway.store.models import ApiKey, Bericht, utcnow
from gateway.transport import watchdog
from gateway.transport.routing import RouteringFout, Routeringstabel, laad

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

HIER = Path(__file__).resolve().parent


@functools.cache
def _templates() -> Jinja2Templates:
    """The page templates, set up with the first page (Jinja2 compiles each template on first use anyway): a
    `serve` whose console is never opened does not import Jinja2."""
    from fastapi.templating import Jinja2Templates

    templates = Jinja2Templates(directory=str(HIER / "templates"))
    templates.env.globals.update(masker=masker, betekenis=betekenis, omschrijving=detail.omschrijving)
    templates.env.filters["euro"] = lambda cent: "" if cent is None else f"€ {cent / 100:,.2f}".replace(",", "X") \
        .replace(".", ",").replace("X", ".")
    templates.env.filters["tijd"] = lambda t: "" if t is None else t.strftime("%d-%m-%Y %H:%M:%S")
    templates.env.filters["status"] = woorden.status
    templates.env.filters["waarde"] = woorden.waarde
    return templates

router = APIRouter(prefix="/admin", include_in_schema=False)


@dataclass(frozen=True)
class Console:
    secret: bytes
    sessions: sessionmaker[Session]
    duur_s: int
    rem: inlogrem.Inlogrem  # per process: see gateway/admin/inlogrem.py


class NietIngelogd(Exception):
    pass


class Verboden(Exception):
    def __init__(self, melding: str):
        super().__init__(melding)
        self.melding = melding


def _console(request: Request) -> Console:
    return request.app.state.beheer


def beheerder(request: Request) -> sessie.Beheerder:
    console = _console(request)
    b = sessie.lees_cookie(console.secret, request.cookies.get(sessie.COOKIE))
    if b is None:
        raise NietIngelogd()
    # The signature only says the cookie is ours; the row says the session still lives (sign-out, a revoked key
    # or a changed role end it at once, not when the cookie expires).
    with console.sessions() as s, s.begin():
        levend = sessieregister.geldig(s, b, nu=utcnow())
    if not levend:
        raise NietIngelogd()
    request.state.party = b.actor  # the request log names the administrator
    return b


Beheer = Annotated[sessie.Beheerder, Depends(beheerder)]


def csrf(request: Request, b: Beheer, csrf: Annotated[str | None, Form()] = None) -> sessie.Beheerder:
    if not sessie.csrf_klopt(_console(request).secret, b.sessie_id, csrf):
        raise Verboden("Het formulier mist een geldig CSRF-token (verlopen sessie of een formulier van een andere "
                       "site). Laad de pagina opnieuw en probeer het nog eens.")
    return b


Formulier = Annotated[sessie.Beheerder, Depends(csrf)]


def operator(b: Formulier) -> sessie.Beheerder:
    if not b.mag_handelen:
        raise Verboden("Uw rol is viewer: u mag kijken maar niets wijzigen. Vraag een beheerder om een sleutel met "
                       "rol operator (iwmo-gateway keys create --role operator).")
    return b


def alleen_beheerder(b: Formulier) -> sessie.Beheerder:
    """What the API keeps for administrator keys is the same in the console (replay by filter)."""
    if not b.is_beheerder:
        raise Verboden(f"Uw rol is {b.rol}: dit is voor beheerders. Meld u aan met een beheerderssleutel "
                       "(iwmo-gateway keys create --role admin).")
    return b


Operator = Annotated[sessie.Beheerder, Depends(operator)]
Alleenbeheerder = Annotated[sessie.Beheerder, Depends(alleen_beheerder)]


def _pagina(request: Request, naam: str, context: dict[str, Any], *, status_code: int = 200,
            b: sessie.Beheerder | None = None) -> HTMLResponse:
    console = _console(request)
    aanbieders: dict[str, str] = {}
    if b is not None:  # the sign-in page shows no parties
        with console.sessions() as s:
            aanbieders = partners.aanbiedernamen(s)
    context = {"beheerder": b, "csrf": sessie.csrf_token(console.secret, b.sessie_id) if b else "",
               "pad": request.url.path, "partner": lambda code: partners.label(code, aanbieders), **context}
    return _templates().TemplateResponse(request, naam, context, status_code=status_code,
                                      headers={"Cache-Control": "no-store"})


def _vandaag() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# -- sign-in -----------------------------------------------------------------------------------------------

def _veilig_doel(volgende: str | None) -> str:
    # Only our own pages: an open redirect would let a phishing link borrow the sign-in page.
    if volgende and volgende.startswith("/admin") and not volgende.startswith("//") and "\\" not in volgende:
        return volgende
    return "/admin"


def _inlogpagina(request: Request, *, fout: str = "", volgende: str = "", status_code: int = 200) -> HTMLResponse:
    binding = sessie.nieuwe_login_binding()
    antwoord = _pagina(request, "inloggen.html", {
        "login_csrf": sessie.csrf_token(_console(request).secret, binding), "fout": fout, "volgende": volgende,
    }, status_code=status_code)
    antwoord.set_cookie(sessie.LOGIN_COOKIE, binding, max_age=sessie.LOGIN_GELDIG_S, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/admin")
    return antwoord


@router.get("/inloggen", response_class=HTMLResponse)
def inloggen_formulier(request: Request, volgende: str = "") -> HTMLResponse:
    return _inlogpagina(request, volgende=volgende)


@router.post("/inloggen")
def inloggen(request: Request, sleutel: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
             volgende: Annotated[str, Form()] = "") -> Response:
    console = _console(request)
    adres, prefix = request.client.host if request.client else "", key_prefix(sleutel.strip())
    # Checked before the key is looked at: behind a 429 no guess is answered.
    wachten = console.rem.wachten(adres, prefix)
    if wachten is not None:
        antwoord = _inlogpagina(request, volgende=volgende, status_code=429, fout=_te_vaak(wachten))
        antwoord.headers["Retry-After"] = str(wachten.seconden)
        return antwoord
    if not sessie.csrf_klopt(console.secret, request.cookies.get(sessie.LOGIN_COOKIE), csrf):
        return _inlogpagina(request, volgende=volgende, status_code=403,
                            fout="Het inlogformulier was verlopen of kwam niet van deze site; probeer het opnieuw.")
    if not sleutel.strip():  # the form has no browser validation (novalidate): the server says it, in Dutch
        return _inlogpagina(request, volgende=volgende, status_code=400,
                            fout="Vul uw beheersleutel in: de volledige sleutel die begint met iwmo_.")
    with console.sessions() as s, s.begin():
        rij = s.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash(sleutel.strip()))).first()
        wie = authenticate(s, sleutel.strip()) if rij is not None else None
        if wie is None or rij is None:
            console.rem.mislukt(adres, prefix)
            return _inlogpagina(request, volgende=volgende, status_code=401,
                                fout="Onbekende of ingetrokken sleutel. Plak de volledige beheersleutel (iwmo_…).")
        rol = sessie.ROL_VAN_SLEUTEL.get(wie.role)
        if rol is None:
            console.rem.mislukt(adres, prefix)
            return _inlogpagina(request, volgende=volgende, status_code=403,
                                fout=f"Deze sleutel hoort bij partij {wie.party}; de console is voor beheersleutels. "
                                     "Maak er een met iwmo-gateway keys create --role operator|viewer.")
        cookie, b = sessie.maak_cookie(console.secret, sleutel_id=rij.id, rol=rol, label=wie.label,
                                       duur_s=console.duur_s)
        sessieregister.begin(s, b, nu=utcnow())
        audit.append(s, actor=b.actor, action="beheer_ingelogd", details={"sleutel": rij.id, "rol": rol})
    antwoord = RedirectResponse(_veilig_doel(volgende), status_code=303)
    antwoord.set_cookie(sessie.COOKIE, cookie, max_age=console.duur_s, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/admin")
    antwoord.delete_cookie(sessie.LOGIN_COOKIE, path="/admin")
    return antwoord


def _te_vaak(wachten: inlogrem.Wachten) -> str:
    waarvoor = "vanaf dit adres" if wachten.waarop == "adres" else "met deze sleutel"
    minuten = max(1, -(-wachten.seconden // 60))
    return (f"Te veel mislukte inlogpogingen {waarvoor}. Probeer het over {minuten} "
            f"{'minuut' if minuten == 1 else 'minuten'} opnieuw, met de volledige beheersleutel (iwmo_…).")


@router.post("/uitloggen")
def uitloggen(request: Request, b: Formulier) -> Response:
    with _console(request).sessions() as s, s.begin():
        sessieregister.beeindig(s, b, nu=utcnow())
        audit.append(s, actor=b.actor, action="beheer_uitgelogd", details={"sleutel": b.sleutel_id})
    antwoord = RedirectResponse("/admin/inloggen", status_code=303)
    antwoord.delete_cookie(sessie.COOKIE, path="/admin")
    return antwoord


# -- dashboard ---------------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def overzicht(request: Request, b: Beheer, periode: str = "vandaag") -> HTMLResponse:
    if periode not in dashboard.PERIODES:
        periode = "vandaag"
    vandaag = _vandaag()
    with _console(request).sessions() as s:
        rijen, kolommen = dashboard.tellingen(s, periode, vandaag)
        dagen = dashboard.per_dag(s, vandaag, 30)
        wachtrijen = dashboard.wachtrijen(s)
        meldingen = dashboard.meldingen(s)
    return _pagina(request, "dashboard.html", {
        "periode": periode, "rijen": rijen, "kolommen": kolommen, "grafiek": staafgrafiek(dagen),
        "wachtrijen": wachtrijen, "meldingen": meldingen, "totaal_30": sum(d.totaal for d in dagen),
        "afgekeurd_30": sum(d.afgekeurd for d in dagen),
    }, b=b)


@router.get("/achterstallig", response_class=HTMLResponse)
def achterstallig(request: Request, b: Beheer, regel: str = "") -> HTMLResponse:
    with _console(request).sessions() as s:
        rijen = [a for a in watchdog.achterstallig(s) if not regel or a.regel == regel]
    return _pagina(request, "achterstallig.html", {"rijen": rijen, "regel": regel}, b=b)


# -- the list ----------------------------------------------------------------------------------------------

def _keuzes(s: Session) -> dict[str, Any]:
    return {"types": [t.naam for t in catalogue.alle()], "statussen": [st.value for st in Status],
            "regels": uitleg.regelcodes(), "retourcodes": uitleg.retourcodes(), "partners": lijst.partners(s)}


def _lijstpagina(request: Request, b: sessie.Beheerder, standaard: str) -> HTMLResponse:
    """The message list; `standaard` is the status filter when the URL names none ("" for every status)."""
    params = dict(request.query_params)
    pad = request.url.path
    with _console(request).sessions() as s:
        keuzes = _keuzes(s) | {"lijstpad": pad, "st": params.get("status", standaard or "alle")}
        try:
            vraag = lijst.lees_zoekvraag(params, vandaag=_vandaag(), standaard_status=standaard)
            rijen, volgende = lijst.pagina(s, vraag)
            totaal = lijst.aantal(s, vraag.filter)
        except lijst.OngeldigFilter as fout:
            return _pagina(request, "lijst.html", {**keuzes, "fout": str(fout), "rijen": [], "params": params,
                                                   "volgende": None, "vraag": None}, status_code=400, b=b)
        regelcodes = lijst.regelcodes_van(s, [r.id for r in rijen])
    return _pagina(request, "lijst.html", {
        **keuzes, "fout": "", "rijen": rijen, "regelcodes": regelcodes, "params": params, "vraag": vraag,
        "totaal": totaal, "max_tellen": lijst.MAX_TELLEN,
        "volgende": urlencode(vraag.als_query(cursor=volgende)) if volgende else None,
        "export": urlencode(vraag.als_query()), "eerste": urlencode(vraag.als_query()),
    }, b=b)


@router.get("/berichten", response_class=HTMLResponse)
def berichten(request: Request, b: Beheer) -> HTMLResponse:
    """Every message; "afgekeurd" and the other statuses are filters on it."""
    return _lijstpagina(request, b, "")


@router.get("/afgekeurd", response_class=HTMLResponse)
def afgekeurd(request: Request, b: Beheer) -> HTMLResponse:
    """The work queue: the same list, filtered on rejected unless the URL names another status."""
    return _lijstpagina(request, b, Status.REJECTED)


@router.get("/afgekeurd.csv")
@router.get("/berichten.csv")
def lijst_csv(request: Request, b: Beheer) -> Response:
    standaard = "" if request.url.path.endswith("/berichten.csv") else Status.REJECTED
    try:
        vraag = lijst.lees_zoekvraag(dict(request.query_params), vandaag=_vandaag(), standaard_status=standaard)
    except lijst.OngeldigFilter as fout:
        return Response(f"{fout}\n", status_code=400, media_type="text/plain; charset=utf-8")
    console = _console(request)

    def stroom() -> Any:
        with console.sessions() as s:
            yield from export.csv_regels(s, vraag.filter)

    naam = f"berichten-{_vandaag().isoformat()}.csv"
    return StreamingResponse(stroom(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{naam}"'})


@router.post("/afgekeurd.zip")
def afgekeurd_zip(request: Request, b: Formulier, id: Annotated[list[str] | None, Form()] = None) -> Response:
    ids = list(dict.fromkeys(id or []))
    if not ids:
        return _fout(request, b, 400, "Geen berichten gekozen: vink in de lijst de berichten aan die in de ZIP moeten.")
    with _console(request).sessions() as s, s.begin():
        try:
            inhoud, mee, niet = export.zip_van(s, ids)
        except ValueError as fout:
            return _fout(request, b, 400, str(fout).capitalize() + ".")
        # The XML holds BSNs: who took which messages out of the gateway belongs in the trail.
        audit.append(s, actor=b.actor, action="xml_geexporteerd", details={"berichten": mee, "ontbrekend": niet})
    return Response(inhoud, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="berichten-{_vandaag()}.zip"'})


# -- one message -------------------------------------------------------------------------------------------

def _detailpagina(request: Request, b: sessie.Beheerder, bericht_id: str, *, bsn_zichtbaar: bool = False,
                  melding: str = "", fout: str = "", status_code: int = 200) -> HTMLResponse:
    console = _console(request)
    with console.sessions() as s:
        d = detail.laad(s, bericht_id, bsn_zichtbaar=bsn_zichtbaar)
        if d is None:
            return _fout(request, b, 404, f"Bericht {bericht_id} bestaat niet. Zoek het op in de lijst.")
        declaratie = declaraties.voor_bericht(console.sessions, d.bericht)
        return _pagina(request, "detail.html", {"d": d, "bsn_zichtbaar": bsn_zichtbaar, "melding": melding,
                                                "fout": fout, **_declaratiecontext(request, b, s, declaratie)},
                       status_code=status_code, b=b)


@router.get("/berichten/{bericht_id}", response_class=HTMLResponse)
def bericht(request: Request, b: Beheer, bericht_id: str, melding: str = "") -> HTMLResponse:
    return _detailpagina(request, b, bericht_id, melding=_MELDINGEN.get(melding, ""))


@router.post("/berichten/{bericht_id}/bsn", response_class=HTMLResponse)
def bericht_bsn(request: Request, b: Formulier, bericht_id: str) -> HTMLResponse:
    with _console(request).sessions() as s, s.begin():
        audit.append(s, actor=b.actor, action="bsn_getoond", bericht_id=bericht_id,
                     details={"waar": "berichtdetail"})
    return _detailpagina(request, b, bericht_id, bsn_zichtbaar=True)


_MELDINGEN = {
    "afgehandeld": "Het bericht is als afgehandeld gemarkeerd.",
    "opnieuw_in_wachtrij": "Het bericht staat weer in de wachtrij; de worker verstuurt het in een nieuwe envelop.",
    "opnieuw_verzenden": "Het bericht wordt opnieuw verzonden in een nieuwe envelop.",
}


def _routes(request: Request) -> Routeringstabel | None:
    # Read at the moment of the action: the route that made the delivery fail may just have been fixed.
    try:
        return laad(request.app.state.settings.routes_file)
    except RouteringFout:
        return None  # without a usable table the outbox reuses the failed delivery's own route


def _voer_uit(request: Request, doe: Any, *, geweigerd: Any, daarna: str) -> Response:
    """Run one operator action in a transaction: a refusal shows the page again with its reason (409), success
    goes back to the page with a message (303)."""
    try:
        with _console(request).sessions() as s, s.begin():
            doe(s)
    except acties.Geweigerd as fout:
        return geweigerd(fout.melding)  # type: ignore[no-any-return]
    return RedirectResponse(daarna, status_code=303)


def _actie(request: Request, b: sessie.Beheerder, bericht_id: str, naam: str, doe: Any) -> Response:
    return _voer_uit(request, doe, daarna=f"/admin/berichten/{bericht_id}?melding={naam}",
                     geweigerd=lambda melding: _detailpagina(request, b, bericht_id, fout=melding, status_code=409))


@router.post("/berichten/{bericht_id}/afhandelen")
def afhandelen(request: Request, b: Operator, bericht_id: str, opmerking: Annotated[str, Form()] = "") -> Response:
    return _actie(request, b, bericht_id, "afgehandeld",
                  lambda s: acties.afhandelen(s, bericht_id, actor=b.actor, opmerking=opmerking))


@router.post("/berichten/{bericht_id}/opnieuw-in-wachtrij")
def opnieuw_in_wachtrij(request: Request, b: Operator, bericht_id: str) -> Response:
    return _actie(request, b, bericht_id, "opnieuw_in_wachtrij",
                  lambda s: acties.opnieuw_in_wachtrij(s, bericht_id, actor=b.actor, routes=_routes(request)))


@router.post("/berichten/{bericht_id}/opnieuw-verzenden")
def opnieuw_verzenden(request: Request, b: Operator, bericht_id: str) -> Response:
    return _actie(request, b, bericht_id, "opnieuw_verzenden",
                  lambda s: acties.opnieuw_verzenden(s, bericht_id, actor=b.actor, routes=_routes(request)))


# -- declaraties -------------------------------------------------------------------------------------------

def _declaratiecontext(request: Request, b: sessie.Beheerder, s: Session,
                       *weergaven: declaraties.Declaratieweergave | None) -> dict[str, Any]:
    """What the declaratie block needs: per WMO323 why this administrator may not answer it (None: may)."""
    identiteit = request.app.state.settings.identiteit
    aanbieders = partners.aanbiedernamen(s)
    return {"declaratie": weergaven[0] if len(weergaven) == 1 else None, "vandaag": _vandaag(),
            "afwijscodes": declaraties.afwijscodes(), "toekennen": declaraties.TOEKENNEN,
            "beslisser_fout": {w.stand.id: declaraties.beslisser_fout(b, w.stand.gemeente, identiteit, aanbieders)
                               for w in weergaven if w is not None}}


@router.get("/declaraties", response_class=HTMLResponse)
def declaratielijst(request: Request, b: Beheer, open: str = "") -> HTMLResponse:
    standen = beslissing.declaraties(_console(request).sessions, partij=None, open_alleen=open == "1", limit=200)
    return _pagina(request, "declaraties.html", {"standen": standen, "open": open == "1", "vandaag": _vandaag()},
                   b=b)


def _declaratiepagina(request: Request, b: sessie.Beheerder, nummer: str, *, melding: str = "", fout: str = "",
                      status_code: int = 200) -> HTMLResponse:
    console = _console(request)
    weergaven = declaraties.per_nummer(console.sessions, nummer)
    if not weergaven:
        return _fout(request, b, 404, f"Geen declaratie met DeclaratieNummer {nummer}. Zoek haar op in de lijst "
                                      "van declaraties.")
    with console.sessions() as s:
        context = _declaratiecontext(request, b, s, *weergaven)
    return _pagina(request, "declaratie.html", {**context, "nummer": nummer, "weergaven": weergaven,
                                                "melding": melding, "fout": fout}, status_code=status_code, b=b)


@router.get("/declaraties/{nummer}", response_class=HTMLResponse)
def declaratiepagina(request: Request, b: Beheer, nummer: str, beantwoord: str = "") -> HTMLResponse:
    melding = (f"Het declaratie-antwoord is opgesteld, gecontroleerd, opgeslagen en staat klaar voor verzending: "
               f"WMO325 {beantwoord}." if beantwoord else "")
    return _declaratiepagina(request, b, nummer, melding=melding)


@router.post("/berichten/{bericht_id}/declaratie-antwoord")
def declaratie_antwoord(request: Request, b: Operator, bericht_id: str,
                        prestatie: Annotated[list[str] | None, Form()] = None,
                        retourcode: Annotated[list[str] | None, Form()] = None) -> Response:
    """The operator's decision on a WMO323: the gateway builds, checks, stores and sends its one WMO325."""
    console = _console(request)
    with console.sessions() as s:
        bericht = s.get(Bericht, bericht_id)
        gevonden = declaraties.declaratienummer_van(s, bericht) if bericht is not None else None
        if bericht is None or gevonden is None or gevonden[0] != bericht_id or gevonden[1] is None:
            return _fout(request, b, 404, f"Bericht {bericht_id} is geen declaratie (WMO323) die de gateway kent.")
        nummer, gemeente = gevonden[1], bericht.adressaat
        weigering = declaraties.beslisser_fout(b, gemeente, request.app.state.settings.identiteit,
                                               partners.aanbiedernamen(s))
    if weigering:
        return _declaratiepagina(request, b, nummer, fout=weigering, status_code=403)
    sleutels, codes = prestatie or [], retourcode or []
    if len(sleutels) != len(codes):
        return _declaratiepagina(request, b, nummer, status_code=400, fout=(
            "Het formulier is onvolledig: bij elke prestatie hoort een keuze (toekennen of een retourcode). "
            "Laad de pagina opnieuw en kies opnieuw."))
    afgewezen = {k: [c] for k, c in zip(sleutels, codes, strict=True) if c != declaraties.TOEKENNEN}
    try:
        uit = beslissing.beantwoord(console.sessions, bericht_id, partij=gemeente or "", actor=b.actor,
                                    afgewezen=afgewezen, na=request.app.state.service.na_uitgaand)
    except beslissing.NietGevonden:
        return _fout(request, b, 404, f"Bericht {bericht_id} is geen declaratie (WMO323) aan {gemeente}.")
    except beslissing.AlBeantwoord:
        return _declaratiepagina(request, b, nummer, status_code=409, fout=(
            "Deze declaratie is al beantwoord: op een WMO323 volgt precies één WMO325 (IV087), dus er is niets "
            "verstuurd. Het bestaande declaratie-antwoord staat hieronder."))
    except beslissing.AntwoordOngeldig as exc:
        return _declaratiepagina(request, b, nummer, status_code=422, fout=(
            "Met deze keuzes is geen geldig WMO325 te maken; er is niets opgeslagen of verstuurd. "
            + " ".join(f.melding for f in exc.fouten)))
    return RedirectResponse(f"/admin/declaraties/{quote(nummer, safe='')}?"
                            + urlencode({"beantwoord": uit.antwoord_id}), status_code=303)


# -- partners ----------------------------------------------------------------------------------------------

def _partnerpagina(request: Request, b: sessie.Beheerder, *, fout: str = "", melding: str = "",
                   status_code: int = 200, invoer: dict[str, str] | None = None) -> HTMLResponse:
    with _console(request).sessions() as s:
        rijen = partners.overzicht(s)
    return _pagina(request, "partners.html", {"rijen": rijen, "fout": fout, "melding": melding,
                                              "invoer": invoer or {}, "profielen": profielen.PROFIELEN},
                   status_code=status_code, b=b)


@router.get("/partners", response_class=HTMLResponse)
def partnerlijst(request: Request, b: Beheer, benoemd: str = "", vastgezet: str = "") -> HTMLResponse:
    melding = (f"De naam van {benoemd} is opgeslagen." if benoemd else
               f"De profielen van {vastgezet} zijn opgeslagen." if vastgezet else "")
    return _partnerpagina(request, b, melding=melding)


@router.post("/partners/profielen")
def partner_vastzetten(request: Request, b: Operator, code: Annotated[str, Form()] = "",
                       profiel: Annotated[list[str] | None, Form()] = None) -> Response:
    """Pin a partner to some installed profiles (none ticked: every installed profile again)."""
    try:
        with _console(request).sessions() as s, s.begin():
            partnerprofielen.zet_vast(s, code, profiel or [], actor=b.actor)
    except partnerprofielen.ProfielOngeldig as fout:
        return _partnerpagina(request, b, fout=str(fout), status_code=400, invoer={"profielcode": code})
    return RedirectResponse("/admin/partners?" + urlencode({"vastgezet": code.strip()}), status_code=303)


@router.post("/partners")
def partner_benoemen(request: Request, b: Operator, code: Annotated[str, Form()] = "",
                     naam: Annotated[str, Form()] = "") -> Response:
    try:
        with _console(request).sessions() as s, s.begin():
            partners.benoem(s, code, naam, actor=b.actor)
    except partners.NaamOngeldig as fout:
        return _partnerpagina(request, b, fout=str(fout), status_code=400, invoer={"code": code, "naam": naam})
    return RedirectResponse("/admin/partners?" + urlencode({"benoemd": code.strip()}), status_code=303)


# -- webhook subscriptions ---------------------------------------------------------------------------------

_ID = Annotated[int, Padwaarde(ge=1, le=2**31 - 1)]  # INTEGER columns: a larger number names no row

_ABONNEMENTMELDINGEN = {
    "gepauzeerd": "Het abonnement is gepauzeerd: de worker houdt zijn afleveringen vast tot u het hervat.",
    "hervat": "Het abonnement is hervat: wat wachtte gaat bij de volgende ronde van de worker.",
    "opnieuw": "De gebeurtenis wordt opnieuw verstuurd, met dezelfde webhook-id (de ontvanger kan de herhaling "
               "herkennen).",
}


@router.get("/abonnementen", response_class=HTMLResponse)
def abonnementenlijst(request: Request, b: Beheer) -> HTMLResponse:
    with _console(request).sessions() as s:
        rijen = abonnementen.overzicht(s)
    return _pagina(request, "abonnementen.html", {"rijen": rijen}, b=b)


def _abonnementpagina(request: Request, b: sessie.Beheerder, abonnement_id: int, *, melding: str = "",
                      fout: str = "", status_code: int = 200) -> HTMLResponse:
    with _console(request).sessions() as s:
        abonnement = abonnementen.laad(s, abonnement_id)
        if abonnement is None:
            return _fout(request, b, 404, f"Abonnement {abonnement_id} bestaat niet (meer). Zie de lijst van "
                                          "abonnementen.")
        rijen = abonnementen.afleveringen(s, abonnement_id)
    return _pagina(request, "abonnement.html", {"a": abonnement, "afleveringen": rijen, "recent": abonnementen.RECENT,
                                                "melding": melding, "fout": fout}, status_code=status_code, b=b)


@router.get("/abonnementen/{abonnement_id}", response_class=HTMLResponse)
def abonnement(request: Request, b: Beheer, abonnement_id: _ID, melding: str = "") -> HTMLResponse:
    return _abonnementpagina(request, b, abonnement_id, melding=_ABONNEMENTMELDINGEN.get(melding, ""))


def _abonnementactie(request: Request, b: sessie.Beheerder, abonnement_id: int, naam: str, doe: Any) -> Response:
    return _voer_uit(request, doe, daarna=f"/admin/abonnementen/{abonnement_id}?melding={naam}",
                     geweigerd=lambda melding: _abonnementpagina(request, b, abonnement_id, fout=melding,
                                                                 status_code=409))


@router.post("/abonnementen/{abonnement_id}/pauzeren")
def abonnement_pauzeren(request: Request, b: Operator, abonnement_id: _ID) -> Response:
    return _abonnementactie(request, b, abonnement_id, "gepauzeerd",
                            lambda s: abonnementen.pauzeer(s, abonnement_id, actor=b.actor))


@router.post("/abonnementen/{abonnement_id}/hervatten")
def abonnement_hervatten(request: Request, b: Operator, abonnement_id: _ID) -> Response:
    return _abonnementactie(request, b, abonnement_id, "hervat",
                            lambda s: abonnementen.hervat(s, abonnement_id, actor=b.actor))


@router.post("/abonnementen/{abonnement_id}/afleveringen/{aflevering_id}/opnieuw")
def aflevering_opnieuw(request: Request, b: Operator, abonnement_id: _ID, aflevering_id: _ID) -> Response:
    return _abonnementactie(request, b, abonnement_id, "opnieuw",
                            lambda s: abonnementen.opnieuw(s, abonnement_id, aflevering_id, actor=b.actor))


# -- one client --------------------------------------------------------------------------------------------

@router.get("/client", response_class=HTMLResponse)
def client_formulier(request: Request, b: Beheer) -> HTMLResponse:
    return _pagina(request, "client.html", {"bsn": "", "fout": "", "tijdlijn": None, "zichtbaar": False}, b=b)


@router.post("/client", response_class=HTMLResponse)
def client(request: Request, b: Formulier, bsn: Annotated[str, Form()] = "",
           toon: Annotated[str, Form()] = "") -> HTMLResponse:
    # The BSN travels in the POST body only: never in a URL, so never in an access log or browser history.
    bsn = bsn.strip()
    fout = tijdlijn.bsn_fout(bsn)
    if fout:
        return _pagina(request, "client.html", {"bsn": "", "fout": fout, "tijdlijn": None, "zichtbaar": False},
                       status_code=400, b=b)
    zichtbaar = toon == "1"
    with _console(request).sessions() as s, s.begin():
        regels = tijdlijn.tijdlijn(s, bsn)
        # Looking a client up and showing the number are both audited, by the messages involved, never the BSN.
        audit.append(s, actor=b.actor, action="bsn_getoond" if zichtbaar else "client_opgezocht",
                     details={"waar": "cliënttijdlijn",
                              "berichten": [b.id for r in regels for b in (r.bericht, *r.antwoorden)][:500]})
    return _pagina(request, "client.html", {"bsn": bsn, "fout": "", "tijdlijn": regels, "zichtbaar": zichtbaar},
                   b=b)


# -- errors and wiring -------------------------------------------------------------------------------------

def _fout(request: Request, b: sessie.Beheerder | None, status: int, melding: str) -> HTMLResponse:
    return _pagina(request, "fout.html", {"status": status, "melding": melding}, status_code=status, b=b)
