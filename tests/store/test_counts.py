"""Counts and plans at queue scale, on SQLite and PostgreSQL: a list's count stops at its
cap (and says so), the stitched urgency order caps alike, and SQLite reads every sort a
list offers from an index instead of sorting the match (migration 0009)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from helpdesk_tui.domain.model import ACTIVE_STATUSES, DONE_STATUSES, Priority, Status
from helpdesk_tui.domain.sla.urgency import Urgency
from helpdesk_tui.service.ordering import read_urgent_first
from helpdesk_tui.store.base import Query, SortKey
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import PG_URL, _psycopg

from .conftest import NOW, make_ticket


def _fill(repo: SqlRepository, n: int, **changes: object) -> list[str]:
    return [repo.create(make_ticket(i, **changes), "alex").key for i in range(1, n + 1)]


def test_a_capped_count_stops_at_the_cap_and_says_so(repo: SqlRepository) -> None:
    keys = _fill(repo, 7, subject="printer jammed")
    by_key = Query(sort=SortKey.KEY, limit=3)

    capped = repo.query(replace(by_key, count_cap=5))
    assert (capped.total, capped.capped) == (5, True)
    # The cap bounds the count, never the page: the rows are the same as uncapped.
    assert [t.key for t in capped.tickets] == keys[:3]

    exact = repo.query(replace(by_key, count_cap=7))
    assert (exact.total, exact.capped) == (7, False)
    assert repo.query(by_key).total == 7 and not repo.query(by_key).capped

    # A search and a filter cap the same way.
    searched = repo.query(Query(text="printer", count_cap=2))
    assert (searched.total, searched.capped) == (2, True)
    filtered = repo.query(Query(statuses=ACTIVE_STATUSES, count_cap=6, tiers=frozenset({1})))
    assert (filtered.total, filtered.capped) == (6, True)
    assert repo.query(Query(statuses=DONE_STATUSES, count_cap=6)).capped is False


def test_the_urgency_order_caps_its_stitched_count(repo: SqlRepository) -> None:
    # Four breached tickets and four running ones: two classes of four.
    for i in range(4):
        repo.create(
            make_ticket(i, priority=Priority.HIGH, sla_due_at=NOW - timedelta(hours=1)), "alex"
        )
        repo.create(make_ticket(i + 10, sla_due_at=NOW + timedelta(days=2)), "alex")
    urgent = Query(statuses=ACTIVE_STATUSES, sort=SortKey.URGENCY, as_of=NOW, limit=50)

    assert read_urgent_first(urgent, repo.query).total == 8
    # No class reaches the cap of 6, but together they pass it.
    page = read_urgent_first(replace(urgent, count_cap=6), repo.query)
    assert (page.total, page.capped, len(page.tickets)) == (6, True, 8)
    # One class past the cap caps the whole.
    page = read_urgent_first(replace(urgent, count_cap=3, limit=2), repo.query)
    assert (page.total, page.capped) == (3, True)
    assert all(t.priority is Priority.HIGH for t in page.tickets)


def _plan(tmp_path: Path, query: Query) -> str:
    """SQLite's plan for the page of `query` on a small store. SQLite only: PostgreSQL's
    plans follow its statistics (bench_store.py --explain prints them at a million)."""
    repo = SqlRepository.open(tmp_path / "plans.db", tmp_path / "files")
    try:
        _fill(repo, 3)
        return repo.page_plan(query)
    finally:
        repo.close()


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (Query(sort=SortKey.CREATED, descending=True), "ix_tickets_created"),
        (Query(sort=SortKey.UPDATED), "ix_tickets_updated"),
        (Query(sort=SortKey.PRIORITY), "ix_tickets_priority"),
        (Query(sort=SortKey.SLA_DUE), "ix_tickets_sla"),
        (Query(statuses=frozenset({Status.NEW}), sort=SortKey.CREATED), "ix_tickets_active"),
    ],
)
def test_sqlite_reads_every_list_sort_from_an_index(
    tmp_path: Path, query: Query, index: str
) -> None:
    plan = _plan(tmp_path, query)
    assert f"INDEX {index}" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("urgency", [Urgency.BREACHED, Urgency.AT_RISK, Urgency.RUNNING])
def test_sqlite_walks_an_urgency_class_by_priority_without_sorting(
    tmp_path: Path, urgency: Urgency, descending: bool
) -> None:
    # The SLA board reads running clocks most urgent first: each class sorted by priority
    # then due. No paused clock is in such a class, so nothing is left to sort after the
    # index (at a million tickets the breached class was 22,098 rows sorted each re-read).
    board = Query(
        statuses=ACTIVE_STATUSES,
        due_before=NOW + timedelta(days=3650),
        urgency=urgency,
        as_of=NOW,
        sort=SortKey.PRIORITY,
        descending=descending,
        limit=100,
    )
    plan = _plan(tmp_path, board)
    assert "INDEX ix_tickets_active_priority" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("sort", [SortKey.SLA_DUE, SortKey.PRIORITY, SortKey.CREATED])
@pytest.mark.parametrize("descending", [False, True])
def test_a_search_walked_in_index_order_reads_the_same_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: SortKey, descending: bool
) -> None:
    from helpdesk_tui.store.sql import queries

    repo = SqlRepository.open(tmp_path / "walk.db", tmp_path / "files")
    try:
        for i in range(40):
            due = NOW + timedelta(hours=(i * 7) % 13) if i % 5 else None  # some paused
            subject = "printer on fire" if i % 3 else "monitor flickers"
            repo.create(
                make_ticket(i, subject=subject, sla_due_at=due, priority=list(Priority)[i % 4]),
                "alex",
            )
        query = Query(text="printer", sort=sort, descending=descending, limit=7)

        def pages() -> list[list[str]]:
            return [
                [t.key for t in repo.query(query.page(offset)).tickets] for offset in (0, 7, 21)
            ]

        monkeypatch.setattr(queries, "SEARCH_WALK_HITS", 10**9)
        sorted_hits = pages()
        monkeypatch.setattr(queries, "SEARCH_WALK_HITS", 1)
        assert pages() == sorted_hits
        assert sum(map(len, sorted_hits)) == 7 + 7 + 5  # 26 hits
    finally:
        repo.close()


def test_a_short_page_and_the_pages_past_it_count_exactly(repo: SqlRepository) -> None:
    # PostgreSQL takes a short page's length as the count (a rare search's match is then
    # computed once); every offset must still agree with the store's own count.
    _fill(repo, 5, subject="toner smudge")
    _fill(repo, 4, subject="badge reader")
    search = Query(text="toner", sort=SortKey.KEY, limit=3)
    assert repo.count(search) == 5
    for offset, rows in ((0, 3), (3, 2), (4, 1), (5, 0), (40, 0)):
        page = repo.query(replace(search, offset=offset))
        assert (len(page.tickets), page.total, page.capped) == (rows, 5, False), offset
    whole = repo.query(replace(search, limit=50))
    assert (len(whole.tickets), whole.total) == (5, 5)
    assert repo.query(Query(text="zzzqqq")).total == 0
    # The cap still applies when the short page lies past it.
    past = repo.query(replace(search, offset=4, count_cap=2))
    assert (len(past.tickets), past.total, past.capped) == (1, 2, True)


def test_on_postgresql_the_count_runs_beside_the_page_on_its_own_connection(
    repo: SqlRepository,
) -> None:
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("SQLite counts first, in the page's own transaction")
    _fill(repo, 7, subject="printer jammed")
    seen: list[tuple[int, str]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((conn.connection.dbapi_connection.info.backend_pid, statement))

    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        page = repo.query(Query(text="printer", sort=SortKey.KEY, limit=3, count_cap=5))
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)
    assert (len(page.tickets), page.total, page.capped) == (3, 5, True)
    counted = {pid for pid, sql in seen if "count(" in sql}
    paged = {pid for pid, sql in seen if "ORDER BY" in sql and "count(" not in sql}
    assert counted and paged and not counted & paged, seen
    # A short page gives its count itself, and the same answer.
    short = repo.query(Query(text="printer", sort=SortKey.KEY, limit=50, count_cap=10))
    assert (len(short.tickets), short.total, short.capped) == (7, 7, False)
    # A view's count reads an index in a few ms: it stays on the page's connection.
    seen.clear()
    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        assert repo.query(Query(sort=SortKey.KEY, limit=3)).total == 7
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)
    assert len({pid for pid, _sql in seen}) == 1, seen


def test_closing_the_store_closes_the_count_s_connections(store_url: str, tmp_path: Path) -> None:
    store = SqlRepository.open(store_url, tmp_path / "files")
    if store.engine.dialect.name != "postgresql":
        store.close()
        pytest.skip("PostgreSQL's count lane")
    _fill(store, 4, subject="printer jammed")
    pids: set[int] = set()

    def record(dbapi: Any, *_args: Any) -> None:
        pids.add(dbapi.info.backend_pid)

    sa.event.listen(Pool, "checkout", record)
    try:
        assert store.query(Query(text="printer", sort=SortKey.KEY, limit=2)).total == 4
    finally:
        sa.event.remove(Pool, "checkout", record)
    assert len(pids) == 2  # the page's and the count's
    store.close()
    assert PG_URL is not None
    admin = sa.create_engine(_psycopg(PG_URL))
    try:
        for _ in range(100):
            with admin.connect() as conn:
                alive = conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                    {"pids": sorted(pids)},
                ).scalar_one()
            if alive == 0:
                break
            time.sleep(0.05)
        assert alive == 0
    finally:
        admin.dispose()
