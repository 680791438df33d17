"""A webhook receiver as a process of its own, for tests that kill the gateway's worker: it records every
delivery as one JSON line (webhook-id, event type, whether the signature verified with the subscription's secret,
the body) and answers after a short delay, so a worker is caught mid-delivery.

`python -m tests.webhooks.ontvangerproces MAP [--vertraging S] [--houd-vast N]` works in MAP:
- `poort`: written once it listens, on a port the system chose (a port picked in advance may be taken by
  another test in the meantime);
- `geheim`: the subscription's `whsec_…`, written by the test after it subscribed with that port;
- `ontvangen.jsonl`: one line per delivery, written before answering;
- `loslaten`: with --houd-vast N the N-th delivery is recorded and then held unanswered until this file exists,
  so the test knows the worker is waiting on it when it kills it.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks import Webhook, WebhookVerificationError


def regel(kop: dict[str, str], data: bytes, geheim: str) -> dict[str, object]:
    """What the receiver writes down for one delivery."""
    try:
        document = Webhook(geheim).verify(data, kop)
        geldig, type_ = True, document.get("type")
    except WebhookVerificationError:
        geldig, type_ = False, None
    return {"webhook_id": kop.get("webhook-id"), "type": type_, "geldig": geldig,
            "body": data.decode("utf-8", errors="replace")}


def main(map_: Path, vertraging: float, houd_vast: int) -> None:
    slot = threading.Lock()
    teller = [0]
    uit = (map_ / "ontvangen.jsonl").open("a", encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            data = self.rfile.read(int(self.headers["Content-Length"]))
            geheim = (map_ / "geheim").read_text(encoding="utf-8").strip()
            vastgelegd = regel({k.lower(): v for k, v in self.headers.items()}, data, geheim)
            with slot:  # written before answering: what the worker sent is on record even if it dies now
                teller[0] += 1
                nummer = teller[0]
                uit.write(json.dumps(vastgelegd) + "\n")
                uit.flush()
            if nummer == houd_vast:
                while not (map_ / "loslaten").exists():  # the test kills the worker while this is outstanding
                    time.sleep(0.01)
            time.sleep(vertraging)
            try:
                self.send_response(204 if vastgelegd["geldig"] else 401)
                self.end_headers()
            except OSError:
                pass  # the worker died while waiting: nobody to answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tijdelijk = map_ / "poort.tmp"
    tijdelijk.write_text(str(server.server_address[1]), encoding="utf-8")
    os.replace(tijdelijk, map_ / "poort")  # whole or not at all, for the test that polls for it
    server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("map", type=Path)
    p.add_argument("--vertraging", type=float, default=0.03, help="seconds before each answer")
    p.add_argument("--houd-vast", type=int, default=0, help="hold the N-th delivery until MAP/loslaten exists")
    args = p.parse_args()
    main(args.map, args.vertraging, args.houd_vast)
