"""What a queue page costs RT, against a real Request Tracker 5 (see rt_server.py).

A cold page reads each ticket once, with every field in the search itself, in requests
sent at once; reads go with RT's web session (RT checks a token with bcrypt on every
request it comes with), writes with the token; a session RT has ended is replaced
without a failure, and closing the store ends it in RT. The requests are counted and
read by an httpx transport that only records what goes over real HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from helpdesk_tui.domain.model import Environment, Escalation, Priority, Status, TicketType
from helpdesk_tui.store.base import Query, SortKey
from helpdesk_tui.store.rt import RtRepository

from .conftest import NOW, make_ticket
from .rt_server import RtProxy, RtServer, rt_server  # noqa: F401  (the session fixture)
from .support import ME, change, note


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    status: int
    cookie: str | None
    token: bool
    started: float
    ended: float


class Recorder(httpx.HTTPTransport):
    """httpx's own transport, which also records every request it sent and when."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        response = super().handle_request(request)
        response.read()
        sent = Sent(
            request.method,
            request.url.path,
            response.status_code,
            request.headers.get("Cookie"),
            "Authorization" in request.headers,
            started,
            time.monotonic(),
        )
        with self._lock:
            self.sent.append(sent)
        return response

    def take(self) -> list[Sent]:
        with self._lock:
            sent, self.sent = self.sent, []
        return sent


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def queues(rt_server: RtServer) -> dict[str, int]:  # noqa: F811
    return rt_server.create_queues()


def _open(
    rt: RtServer, queues: dict[str, int], transport: Any = None, **config: Any
) -> RtRepository:
    return RtRepository.open(rt.config(queues, **config), rt.token, transport=transport)


@pytest.fixture
def cold(
    rt_server: RtServer,  # noqa: F811
    queues: dict[str, int],
    recorder: Recorder,
) -> Iterator[RtRepository]:
    """A store with the search cache off, its requests recorded, 3 at once at most."""
    repository = _open(rt_server, queues, recorder, cache_seconds=0, parallel_requests=3)
    try:
        yield repository
    finally:
        repository.close()


def test_a_cold_page_reads_each_ticket_once_in_requests_sent_at_once(
    rt_server: RtServer,  # noqa: F811
    queues: dict[str, int],
    cold: RtRepository,
    recorder: Recorder,
) -> None:
    kinds = list(TicketType)
    made = [
        cold.create(
            make_ticket(
                n,
                priority=list(Priority)[n % 4],
                status=[Status.NEW, Status.OPEN, Status.PENDING][n % 3],
                type=kinds[n % len(kinds)],
                environment=Environment.PRODUCTION if n % 2 else None,
                escalation=Escalation.AWAITING_LEAD if n % 5 == 0 else Escalation.NONE,
                team="network" if n % 3 else None,
                organization=f"org{n % 4}",
                sla_due_at=NOW + timedelta(hours=n) if n % 4 else None,
                tier=1 + n % 3,
            ),
            actor=ME,
        )
        for n in range(24)
    ]
    cold.apply(change(made[0], fields={"subject": "changed once"}, comment=note("a note")))
    recorder.take()

    page = cold.query(Query(limit=24))  # the queue's own order: SLA clock, due, id

    sent = recorder.take()
    # 24 rows, 10 at least a request: three searches with fields=, each a third of the page.
    assert [(s.method, s.path, s.status) for s in sent] == [("GET", "/REST/2.0/tickets", 200)] * 3
    assert max(s.started for s in sent) < min(s.ended for s in sent), "not sent at once"
    assert all(s.cookie and not s.token for s in sent), "a read carried the token"
    assert page.total == 24 and {t.key for t in page.tickets} == {t.key for t in made}
    # Every field the page shows is what a ticket read on its own says.
    for listed in page.tickets:
        assert listed == cold.get(listed.key), listed.key
    # The way it was (one request, the token on it) reads the very same page.
    one = _open(rt_server, queues, cache_seconds=0, session_seconds=0, parallel_requests=1)
    try:
        before = one.requests
        assert one.query(Query(limit=24)) == page
        assert one.requests - before == 1
    finally:
        one.close()
    # A window across RT's pages still comes back whole, in order.
    recorder.take()
    window = cold.query(Query(offset=7, limit=11, sort=SortKey.KEY))
    assert [t.key for t in window.tickets] == [t.key for t in made[7:18]]
    assert 1 <= len(recorder.take()) <= 2  # 11 rows: worth two requests at most


def test_reads_ride_rts_web_session_and_writes_the_token(
    rt_server: RtServer,  # noqa: F811
    cold: RtRepository,
    recorder: Recorder,
) -> None:
    ticket = cold.create(make_ticket(), actor=ME)
    recorder.take()
    cold.get(ticket.key)
    cold.apply(change(ticket, fields={"priority": Priority.HIGH}))
    sent = recorder.take()
    reads = [s for s in sent if s.method == "GET"]
    writes = [s for s in sent if s.method != "GET"]
    assert reads and writes
    assert all(s.cookie and not s.token for s in reads)
    assert all(s.token and not s.cookie for s in writes)
    [session] = {s.cookie for s in reads}
    assert session is not None and session.startswith("RT_SID_")

    # RT ends the session behind the store's back (expiry, rt-clean-sessions): the next
    # read still answers, with the token, and the one after opens a new session.
    logout = httpx.get(rt_server.url + "/REST/1.0/logout", headers={"Cookie": session})
    assert logout.status_code == 200
    assert cold.get(ticket.key).priority is Priority.HIGH
    assert cold.query(Query(limit=5)).total == 1
    sent = recorder.take()
    assert [(s.path, s.status, bool(s.cookie), s.token) for s in sent[:4]] == [
        (f"/REST/2.0/ticket/{ticket.id}", 302, True, False),
        (f"/REST/2.0/ticket/{ticket.id}", 304, False, True),  # revalidated, ETag
        ("/REST/1.0/", 200, False, True),
        ("/REST/2.0/tickets", 200, True, False),
    ]
    renewed = sent[3].cookie
    assert renewed is not None and renewed != session

    # Closed, the store ends its session in RT: the cookie opens nothing any more.
    cold.close()
    assert recorder.take()[-1].path == "/REST/1.0/logout"
    after = httpx.get(rt_server.url + "/REST/2.0/rt", headers={"Cookie": renewed})
    assert after.status_code == 302


def test_the_session_is_renewed_in_time_and_can_be_turned_off(
    rt_server: RtServer,  # noqa: F811
    queues: dict[str, int],
    recorder: Recorder,
) -> None:
    short = _open(rt_server, queues, recorder, cache_seconds=0, session_seconds=1)
    try:
        short.query(Query(limit=5))
        first = recorder.take()
        time.sleep(1.1)
        short.query(Query(limit=5))
        renewal = recorder.take()
    finally:
        short.close()
    old = next(s.cookie for s in first if s.cookie)
    # A token revoked in RT stops working within session_seconds: the store logs in anew.
    assert [s.path for s in renewal] == ["/REST/1.0/", "/REST/1.0/logout", "/REST/2.0/tickets"]
    assert renewal[1].cookie == old and renewal[2].cookie not in (None, old)

    recorder.take()
    tokens_only = _open(rt_server, queues, recorder, session_seconds=0)
    try:
        tokens_only.query(Query(limit=5))
    finally:
        tokens_only.close()
    sent = recorder.take()
    assert sent and all(s.token and s.cookie is None for s in sent)
    assert "/REST/1.0/" not in {s.path for s in sent}


def test_without_a_session_from_rt_the_token_does_it_all(
    rt_server: RtServer,  # noqa: F811
    queues: dict[str, int],
) -> None:
    # RtProxy passes no Set-Cookie on, as a proxy serving REST2 alone would not.
    proxy = RtProxy(rt_server.url)
    try:
        config = replace(rt_server.config(queues, cache_seconds=0), url=proxy.url)
        repo = RtRepository.open(config, rt_server.token)
        ticket = repo.create(make_ticket(), actor=ME)
        assert repo.get(ticket.key) == ticket and repo.query(Query()).total == 1
        seen = list(proxy.seen)
        assert seen.count("GET /REST/1.0/") == 1  # asked once, not on every read
        assert not repo._client.has_session
        repo.close()
    finally:
        proxy.close()
