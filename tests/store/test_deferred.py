"""DeferredRepository: answers what it was told at once, opens the real store on first need."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import ACTIVE_STATUSES
from helpdesk_tui.domain.sla.urgency import Urgency
from helpdesk_tui.store.base import ChangeFeed, MailQueue, Query, TicketRepository, mail_queue
from helpdesk_tui.store.deferred import DeferredRepository, protocols_of
from helpdesk_tui.store.sql import SqlRepository
from tests.store.conftest import make_ticket


@pytest.fixture
def store(tmp_path: Path) -> Path:
    repo = SqlRepository.open(tmp_path / "helpdesk.db", tmp_path / "attachments")
    for n in range(5):
        repo.create(make_ticket(n + 1, subject=f"ticket {n}"), "alex")
    repo.close()
    return tmp_path / "helpdesk.db"


def _deferred(
    store: Path,
    opened: list[SqlRepository],
    first: bool = True,
    as_of: datetime | None = None,
    urgency: Urgency | None = None,
) -> DeferredRepository:
    real = SqlRepository.open(store, store.parent / "attachments")
    query = Query(statuses=ACTIVE_STATUSES, limit=3, as_of=as_of, urgency=urgency)
    page = real.query(query)
    capabilities, prefix, protocols = real.capabilities, real.key_prefix, protocols_of(real)
    real.close()

    def opener() -> SqlRepository:
        repo = SqlRepository.open(store, store.parent / "attachments")
        opened.append(repo)
        return repo

    return DeferredRepository(
        opener,
        capabilities=capabilities,
        key_prefix=prefix,
        protocols=protocols,
        first=(query, page) if first else None,
    )


def test_the_first_page_is_answered_once_without_opening(store: Path) -> None:
    opened: list[SqlRepository] = []
    repo = _deferred(store, opened)
    query = Query(statuses=ACTIVE_STATUSES, limit=3)

    page = repo.query(query)
    assert len(page.tickets) == 3 and page.total == 5
    assert repo.served_first and not repo.opened and opened == []

    again = repo.query(query)  # asked again: fresh rows, from the real store
    assert again == page
    assert repo.opened and len(opened) == 1
    repo.close()


def test_a_different_query_goes_to_the_real_store(store: Path) -> None:
    opened: list[SqlRepository] = []
    repo = _deferred(store, opened)
    page = repo.query(Query(statuses=ACTIVE_STATUSES, limit=2))
    assert len(page.tickets) == 2
    assert not repo.served_first and len(opened) == 1
    repo.close()


def test_protocol_checks_and_properties_do_not_open(store: Path) -> None:
    opened: list[SqlRepository] = []
    repo = _deferred(store, opened, first=False)
    assert isinstance(repo, TicketRepository)
    assert isinstance(repo, ChangeFeed)
    assert isinstance(repo, MailQueue)
    assert mail_queue(repo) is repo  # type: ignore[arg-type]
    assert repo.key_prefix == "HD" and repo.capabilities
    assert opened == []
    # A forwarded method opens on its call, not on its lookup.
    get = repo.get
    assert opened == []
    assert get("HD-2").subject == "ticket 1"  # keys count from 1
    assert len(opened) == 1
    repo.close()


def test_a_stand_in_offers_only_the_protocols_of_the_real_store(store: Path) -> None:
    repo = DeferredRepository(
        lambda: pytest.fail("not opened"),  # type: ignore[arg-type, return-value]
        capabilities=frozenset(),
        key_prefix="RT",
        protocols=frozenset({"TicketRepository"}),
    )
    assert isinstance(repo, TicketRepository)
    assert not isinstance(repo, ChangeFeed)
    assert not isinstance(repo, MailQueue)
    repo.close()  # never opened: nothing to close, and nothing opens


def test_threads_racing_to_open_share_one_repository(store: Path) -> None:
    opened: list[SqlRepository] = []
    repo = _deferred(store, opened, first=False)
    barrier = threading.Barrier(6)
    seen: list[int] = []

    def use() -> None:
        barrier.wait()
        seen.append(repo.count(Query(statuses=ACTIVE_STATUSES)))

    threads = [threading.Thread(target=use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [5] * 6
    assert len(opened) == 1
    repo.close()
    with pytest.raises(RuntimeError):
        repo.get("HD-1")  # closed: it does not open again behind the app's back


def test_the_first_page_is_served_to_the_same_query_stamped_a_moment_later(store: Path) -> None:
    # The service stamps each query with its clock: the helper's read and the queue's ask
    # differ in `as_of` alone, which only an urgency filter reads.
    stamped = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    opened: list[SqlRepository] = []
    repo = _deferred(store, opened, as_of=stamped)
    later = Query(statuses=ACTIVE_STATUSES, limit=3, as_of=stamped + timedelta(seconds=1))
    assert len(repo.query(later).tickets) == 3
    assert repo.served_first and opened == []
    repo.close()

    repo = _deferred(store, opened, as_of=stamped, urgency=Urgency.BREACHED)
    urgent = Query(statuses=ACTIVE_STATUSES, limit=3, urgency=Urgency.BREACHED)
    repo.query(replace(urgent, as_of=stamped + timedelta(hours=1)))
    assert not repo.served_first and len(opened) == 1  # judged at another instant
    repo.close()
