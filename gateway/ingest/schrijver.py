"""One writer per process: judged messages go through a queue and are committed in groups.

Callers (API requests, inbound deliveries) judge their message in their own thread, hand it over and wait;
the writer thread takes everything queued, writes it in one transaction (`vastlegging.leg_vast`) and commits
once, then answers each caller. Under load the groups grow by themselves — whatever queued while the previous
group committed — so one commit (one fsync) serves many messages, and nothing waits for a timer when the
gateway is quiet. On PostgreSQL several processes each run a writer; their groups take the audit chain's lock
in turn, so the chain stays one line and dedupe and TR056 stay race-free.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gateway.ingest.vastlegging import Aanlevering, CrossRules, Received, leg_vast
from gateway.store.wekker import meld_wijziging

log = logging.getLogger("gateway.ingest.schrijver")

MAX_GROEP = 64  # large enough to amortise a commit, small enough that one group never holds the lock long


@contextlib.contextmanager
def _om_de_beurt(pad: Path) -> Iterator[None]:
    """Writers of several processes on one SQLite file take turns through an flock on a file beside it.

    SQLite's own lock makes a writer that finds it taken sleep and retry (1, 2, 5 … 100 ms); two `serve`
    processes then lose most of their time sleeping. The kernel wakes an flock waiter when the lock is freed.
    SQLite's lock still decides; this only orders the writers of group commits. Opened per group (three system
    calls), so no descriptor outlives its transaction."""
    fd = os.open(pad, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _beurt_voor(sessions: sessionmaker[Session]) -> Callable[[], AbstractContextManager[None]]:
    bind = sessions.kw.get("bind")
    url = getattr(bind, "url", None)
    if url is None or url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return contextlib.nullcontext  # PostgreSQL: the audit chain's advisory lock orders the writers
    pad = Path(f"{url.database}.schrijver.lock")
    return lambda: _om_de_beurt(pad)


class Schrijver:
    def __init__(self, sessions: sessionmaker[Session], *, cross_rules: CrossRules | None = None,
                 na_commit: Callable[[], None] | None = None, max_groep: int = MAX_GROEP):
        self.sessions = sessions
        self.cross_rules = cross_rules
        self.na_commit = na_commit  # e.g. wake the outbox worker: something new may be queued
        self.max_groep = max_groep
        self._wachtrij: queue.SimpleQueue[tuple[Aanlevering, Future[Received]] | None] = queue.SimpleQueue()
        self._draad: threading.Thread | None = None
        self._slot = threading.Lock()
        self._beurt = _beurt_voor(sessions)

    def start(self) -> None:
        with self._slot:
            if self._draad is None or not self._draad.is_alive():
                self._draad = threading.Thread(target=self._draai, name="iwmo-schrijver", daemon=True)
                self._draad.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._slot:
            draad, self._draad = self._draad, None
        if draad is not None:
            self._wachtrij.put(None)
            draad.join(timeout)

    def schrijf(self, aanlevering: Aanlevering) -> Received:
        """Hand over one judged message; returns once it is committed (or raises what writing it raised)."""
        if self._draad is None:
            self.start()
        toekomst: Future[Received] = Future()
        self._wachtrij.put((aanlevering, toekomst))
        return toekomst.result()

    def _draai(self) -> None:
        while True:
            eerste = self._wachtrij.get()
            if eerste is None:
                return
            groep = [eerste]
            while len(groep) < self.max_groep:
                try:
                    volgende = self._wachtrij.get_nowait()
                except queue.Empty:
                    break
                if volgende is None:
                    self._schrijf(groep)
                    return
                groep.append(volgende)
            self._schrijf(groep)

    def _schrijf(self, groep: list[tuple[Aanlevering, Future[Received]]]) -> None:
        try:
            uitkomsten: list[Received | Exception] = list(self._transactie([a for a, _ in groep]))
        except Exception as fout:  # noqa: BLE001 - find the one that failed: write each on its own
            if len(groep) == 1:
                uitkomsten = [fout]
            else:
                log.info("groep van %d berichten mislukt (%s); elk apart", len(groep), type(fout).__name__)
                uitkomsten = [self._los(a) for a, _ in groep]
        for (_, toekomst), uitkomst in zip(groep, uitkomsten, strict=True):
            if isinstance(uitkomst, Exception):
                toekomst.set_exception(uitkomst)
            else:
                toekomst.set_result(uitkomst)
        if self.na_commit is not None and any(not isinstance(u, Exception) for u in uitkomsten):
            try:
                self.na_commit()
            except Exception:  # noqa: BLE001 - a wake-up that fails only delays the relay until its next poll
                log.exception("wekken na vastleggen mislukt")

    def _transactie(self, aanleveringen: list[Aanlevering]) -> list[Received]:
        with self._beurt(), self.sessions() as session, session.begin():
            uitkomsten = leg_vast(session, aanleveringen, cross_rules=self.cross_rules)
            meld_wijziging(session)
        return uitkomsten

    def _los(self, aanlevering: Aanlevering) -> Received | Exception:
        try:
            return self._transactie([aanlevering])[0]
        except Exception as fout:  # noqa: BLE001 - this message's own answer
            return fout
