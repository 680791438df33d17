"""The yardstick for bench/ingest.py: the least a FastAPI app can do for `POST /api/v1/berichten`.

It reads the body and answers 201 with a small JSON body, served exactly as `iwmo-gateway serve` serves the
gateway (one uvicorn process, `uvicorn.run(app, host, port, log_config=None, access_log=False)`, the same
event loop and HTTP implementation), so the gateway's msg/s divided by this app's requests/s is the share of
the HTTP stack's ceiling that the gateway reaches on this machine.

    python bench/minimal_app.py --port 8081
"""

from __future__ import annotations

import argparse
import itertools

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
_volgnummers = itertools.count(1)


@app.post("/api/v1/berichten", status_code=201)
async def ontvang(request: Request) -> JSONResponse:
    await request.body()
    # The shape of the gateway's answer, minus its work: the bench reads "status" from both.
    return JSONResponse({"id": f"m{next(_volgnummers)}", "status": "accepted", "errors": []}, status_code=201)


@app.get("/ready")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
