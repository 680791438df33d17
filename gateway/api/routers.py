"""Adding a module's router to an app without FastAPI building its routes a second time."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def neem_op(app: FastAPI, router: APIRouter) -> None:
    """Make the router's routes the app's own, as they are.

    `app.include_router` (FastAPI ≥ 0.130) keeps the router aside and, on the app's first request, builds every
    route of it again for that app — its parameters, body and response models, handler — although the route was
    built completely when its module was imported (with the router's prefix, tags and responses). That is about
    5 ms a route: 0.3 s on the first request of every `serve`, and again for every app a test creates. Our
    routers are included without options of their own (no prefix, tags, dependencies or responses added at
    inclusion), which is exactly the case in which the route as built is the route the app would build.

    What this gives up: `app.dependency_overrides` does not reach these routes (nothing of ours uses it), and a
    router's own startup/shutdown handlers would not be registered — refused below rather than lost."""
    if router.on_startup or router.on_shutdown:
        raise ValueError("neem_op: deze router heeft eigen startup/shutdown-handlers; gebruik app.include_router")
    app.router.routes.extend(router.routes)
