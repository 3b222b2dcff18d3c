"""A search sorted by relevance: the full-text index ranks and pages it, best first.

SQLite ranks by FTS5's bm25; PostgreSQL by RUM's distance where the rum extension is
installed (migration 0010: the index that matches also returns the matches in order),
else by ts_rank over GIN's matches. Either way the order is the database's, page by page.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk_tui.domain.model import ACTIVE_STATUSES, DONE_STATUSES, Status
from helpdesk_tui.store.base import InvalidInput, Query, SortKey
from helpdesk_tui.store.sql import SqlRepository

from .conftest import make_ticket
from .support import ME, change

FILLER = "The office moved floors last week and the network was rewired by the landlord. " * 6


def _tickets(repo: SqlRepository) -> dict[str, str]:
    """Four tickets that mention the printer more or less, and one that does not."""
    made = {
        "once": repo.create(
            make_ticket(1, subject="Office move", description=FILLER + "Also the printer."),
            actor=ME,
        ),
        "most": repo.create(
            make_ticket(
                2,
                subject="Printer jams",
                description="The printer jams; the printer tray is bent; printer is old.",
            ),
            actor=ME,
        ),
        "twice": repo.create(
            make_ticket(3, subject="Printer queue", description=FILLER + "No printer works."),
            actor=ME,
        ),
        "none": repo.create(make_ticket(4, subject="VPN drops", description=FILLER), actor=ME),
        "closed": repo.create(
            make_ticket(5, subject="Printer printer", description="printer toner printer"),
            actor=ME,
        ),
    }
    closed = repo.apply(change(made["closed"], fields={"status": Status.CLOSED}))
    made["closed"] = closed
    return {name: ticket.key for name, ticket in made.items()}


def _keys(repo: SqlRepository, query: Query) -> list[str]:
    return [t.key for t in repo.query(query).tickets]


def test_a_search_by_relevance_lists_its_best_matches_first(repo: SqlRepository) -> None:
    keys = _tickets(repo)
    ranked = Query(text="printer", statuses=ACTIVE_STATUSES, sort=SortKey.RELEVANCE)
    best_first = [keys["most"], keys["twice"], keys["once"]]
    assert _keys(repo, ranked) == best_first
    assert _keys(repo, replace(ranked, descending=True)) == best_first[::-1]
    # Paged by the database: the pages, read one by one, are the same order.
    pages = [_keys(repo, replace(ranked, offset=o, limit=1)) for o in range(4)]
    assert pages == [[k] for k in best_first] + [[]]
    page = repo.query(replace(ranked, limit=2))
    assert (page.total, len(page.tickets)) == (3, 2)
    # Filters still apply; a ticket without the word is never ranked in.
    assert _keys(repo, replace(ranked, statuses=DONE_STATUSES)) == [keys["closed"]]
    assert keys["none"] not in _keys(repo, replace(ranked, statuses=frozenset()))
    # Every word must match: the ranking orders the search's own matches.
    assert _keys(repo, replace(ranked, text="printer tray")) == [keys["most"]]


def test_relevance_without_search_words_is_refused(repo: SqlRepository) -> None:
    _tickets(repo)
    for text in (None, "", "🔥"):  # no words: nothing to rank by
        with pytest.raises(InvalidInput, match="relevance orders a search"):
            repo.query(Query(text=text, sort=SortKey.RELEVANCE))


def _index_method(repo: SqlRepository) -> str:
    with repo._engine.connect() as conn:
        return str(
            conn.exec_driver_sql(
                "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
                " WHERE c.oid = to_regclass('ix_tickets_search')"
            ).scalar()
        )


def _rum_available(repo: SqlRepository) -> bool:
    with repo._engine.connect() as conn:
        found = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        return found.scalar() is not None


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_postgresql_ranks_in_the_index_that_matches(
    repo: SqlRepository, store_url: str, tmp_path: Path
) -> None:
    if not _rum_available(repo):
        if os.environ.get("HELPDESK_REQUIRE_PG"):
            pytest.fail("the rum extension is not installed (Debian: postgresql-15-rum)")
        pytest.skip("the rum extension is not installed (Debian: postgresql-15-rum)")
    assert _index_method(repo) == "rum"
    keys = _tickets(repo)
    ranked = Query(text="printer", statuses=ACTIVE_STATUSES, sort=SortKey.RELEVANCE)
    # The same index scan matches and orders: no sort node over the matches.
    with repo._engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        stmt = repo._page_select(repo._filter(ranked), ranked).limit(50)  # type: ignore[arg-type]
        sql = stmt.compile(repo._engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "Index Scan using ix_tickets_search" in plan, plan
    assert "Order By: (search_vector OPERATOR(public.<=>)" in plan, plan
    best_first = [keys["most"], keys["twice"], keys["once"]]
    assert _keys(repo, ranked) == best_first

    # A store whose index is GIN's (the extension came later, or the owner could not
    # create it) ranks the same tickets the same way, by ts_rank over the matches.
    with repo._engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_tickets_search")
        conn.exec_driver_sql("CREATE INDEX ix_tickets_search ON tickets USING gin (search_vector)")
    gin = SqlRepository.open(store_url, tmp_path / "gin-files")
    try:
        assert _index_method(gin) == "gin"
        assert _keys(gin, ranked) == best_first
        assert _keys(gin, replace(ranked, descending=True)) == best_first[::-1]
    finally:
        gin.close()


def _ranked_by_join(repo: SqlRepository, query: Query) -> list[int]:
    """The best-first ids as the join of every match to its ticket ranks them: the plan
    the other two must agree with."""
    where = repo._filter(query)
    assert where is not None
    terms = replace(where, text=None).terms() or [sa.true()]
    stmt = repo._ranked_select(terms, where.tokens, query.descending)
    with repo._engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_ranks_in_the_index_where_it_can_and_agrees_with_the_join(
    repo: SqlRepository,
) -> None:
    # 40 tickets, the word from 0 to 4 times in texts of three lengths (ties included),
    # open and closed, two organizations, mine and nobody's; a rare word in two.
    for n in range(40):
        made = repo.create(
            make_ticket(
                n + 1,
                subject=f"Case {n}",
                description=("printer " * (n % 5))
                + ("filler words " * (n % 3))
                + ("zebra" if n in (7, 8) else ""),
                organization="acme" if n % 2 else "globex",
                assignee=ME if n % 4 == 0 else None,
            ),
            actor=ME,
        )
        if n % 3 == 0:
            repo.apply(change(made, fields={"status": Status.CLOSED}))
    with repo._engine.connect() as conn:
        key_of = dict(conn.exec_driver_sql("SELECT id, key FROM tickets").all())
    every = Query(text="printer", sort=SortKey.RELEVANCE, count_cap=None)
    cases = {
        "no filter": (every, "SEARCH tickets", False),
        "open": (replace(every, statuses=ACTIVE_STATUSES), "COVERING INDEX", True),
        "my open": (
            replace(every, statuses=ACTIVE_STATUSES, assignees=frozenset({ME})),
            "COVERING INDEX",
            True,
        ),
        "closed": (replace(every, statuses=DONE_STATUSES), "INTEGER PRIMARY KEY", True),
        # Two matches among 26 open tickets: joining two costs less than listing 26.
        "a rare word among the open": (
            replace(every, text="zebra", statuses=ACTIVE_STATUSES),
            "INTEGER PRIMARY KEY",
            True,
        ),
        "open, one organization": (
            replace(every, statuses=ACTIVE_STATUSES, organizations=frozenset({"acme"})),
            "INTEGER PRIMARY KEY",
            True,
        ),
    }
    for name, (query, plan_word, in_plan) in cases.items():
        plan = repo.page_plan(query)
        assert (plan_word in plan) is in_plan, (name, plan)
        # The match drives every plan: never one MATCH per ticket.
        assert plan.startswith("SCAN tickets_fts VIRTUAL TABLE INDEX 0:M"), (name, plan)
        for descending in (False, True):
            ranked = replace(query, descending=descending)
            expected = _ranked_by_join(repo, ranked)
            assert expected, name
            page = repo.query(replace(ranked, limit=100))
            got = [t.key for t in page.tickets]
            assert got == [key_of[i] for i in expected], (name, descending)
            # The count comes with the page; past the last match, and with no page at
            # all, it is still every match.
            assert page.total == len(expected), name
            past = repo.query(replace(ranked, offset=len(expected) + 3, limit=5))
            assert (past.total, past.tickets) == (len(expected), []), name
            assert repo.query(replace(ranked, limit=0)).total == len(expected), name
            # Paged the same way: the second page of 5 follows the first.
            second = [t.key for t in repo.query(replace(ranked, offset=5, limit=5)).tickets]
            assert second == got[5:10], (name, descending)
