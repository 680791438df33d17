"""Wiring the console into an app: its state, security headers, error pages, its routers and static files.

Apart from `routes` so that pages in modules of their own (herverwerking) can build on `routes` without `routes`
having to import them back.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway.admin import inlogrem, koppen, sessie
from gateway.admin.herverwerking import router as herverwerking_router
from gateway.admin.routes import HIER, Console, NietIngelogd, Verboden, _console, _fout, router
from gateway.api.routers import neem_op
from gateway.store.db import make_session_factory


def install(app: FastAPI) -> None:
    settings = app.state.settings
    secret = (settings.admin_secret or "").encode() or secrets.token_bytes(32)
    app.state.beheer = Console(secret, make_session_factory(app.state.engine), settings.admin_sessie_minuten * 60,
                               inlogrem.Inlogrem())
    app.add_middleware(koppen.Beveiligingskoppen)

    @app.exception_handler(NietIngelogd)
    def _niet_ingelogd(request: Request, exc: NietIngelogd) -> Response:
        if request.method == "GET":
            doel = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/admin/inloggen?" + urlencode({"volgende": doel}), status_code=303)
        return _fout(request, None, 401, "U bent niet (meer) ingelogd. Log opnieuw in met uw beheersleutel en "
                                         "herhaal de actie.")

    @app.exception_handler(Verboden)
    def _verboden(request: Request, exc: Verboden) -> Response:
        b = sessie.lees_cookie(_console(request).secret, request.cookies.get(sessie.COOKIE))
        return _fout(request, b, 403, exc.melding)

    neem_op(app, router)  # not app.include_router: that builds every route again (see routers.neem_op)
    neem_op(app, herverwerking_router)  # replay by filter (issue 14)
    app.mount("/admin/static", StaticFiles(directory=str(HIER / "static")), name="admin-static")
