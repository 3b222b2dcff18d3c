"""Benchmark the SQL store at queue scale: bulk import, saved views, full-text search.

Run by hand (not part of the tests)::

    .venv/bin/python benchmarks/bench_store.py                 # 1,000,000 tickets
    .venv/bin/python benchmarks/bench_store.py --tickets 100000 --explain
    .venv/bin/python benchmarks/bench_store.py --reuse         # skip the import
    .venv/bin/python benchmarks/bench_store.py --reuse \
        --pg postgresql+psycopg://helpdesk@127.0.0.1:55432/bench1m  # SQLite and PostgreSQL

    .venv/bin/python benchmarks/bench_store.py --reuse --pg URL --pg-only --pg-login t1
        # the owner's login with the app's scope against t1's own login (row-level
        # security), t1 serving --pg-orgs organizations: the cost of the policies

With --pg the same tickets (same seed) also go into that PostgreSQL database (created if
missing; dropped and re-created unless --reuse finds it holding --tickets tickets), and
every view and search is timed on both stores in the same run, printed side by side.

Targets: import <= 60 s; first page of 50 + total count <= 50 ms median per saved view;
search <= 50 ms median. The store is written to benchmarks/data/ (gitignored).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from helpdesk_tui.domain.model import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    Agent,
    Channel,
    Comment,
    CommentKind,
    Priority,
    Status,
    Ticket,
    TicketType,
)
from helpdesk_tui.service.ordering import read_urgent_first
from helpdesk_tui.store.base import Query, SortKey, list_count_cap
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.store.sql.search import fts5_match, rum_schema, tsquery

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
_R = TypeVar("_R")
DATA = Path(__file__).resolve().parent / "data"
ME = "agent007"


def _words(text: str) -> list[str]:
    return text.split()


# A vocabulary shaped like support mail: filler words at the top of a Zipf curve (in
# most tickets, never searched for), support terms further down (each in roughly 0.5-4%
# of tickets, as "printer" or "vpn" would be), then a long tail of product names and
# made-up words that each appear in a handful of tickets.
FILLER = _words(
    "the to and a of in is it for on with we our please issue problem help since when "
    "after not working user users customer team our this that can you be are from have "
    "has was at as but by hi thanks regards today still again now all any some"
)
SUPPORT = _words(
    "login password reset error cannot access account email printer vpn network slow "
    "timeout crash update install license invoice payment refund outage server database "
    "backup restore sync mobile app browser certificate expired firewall proxy disk "
    "memory upgrade migration report export import permission denied locked screen "
    "keyboard mouse monitor laptop phone meeting calendar share folder file wifi dns "
    "ticket portal billing subscription cancel renew quota storage latency api token"
)
SYLLABLES = _words("ka ri to mo na shi lu be ar en ix op ul va ze qu tr pl gr st on el ra di so")


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Filler words, then support terms spread over ranks ~60-400, then generated words."""
    taken = set(FILLER) | set(SUPPORT)
    tail: list[str] = []
    while len(tail) < size:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in taken:
            taken.add(word)
            tail.append(word)
    words = list(FILLER) + tail
    for n, term in enumerate(SUPPORT):
        words.insert(60 + n * 5, term)
    return words


def generate(
    count: int, seed: int = 7, comment_ratio: float = 0.1
) -> list[tuple[Ticket, list[Comment]]]:
    """`count` tickets: ~5% active, the rest resolved/closed/cancelled, 200 agents."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(words))))
    # Draw every word at once (much faster than per ticket), then slice.
    lengths = [rng.randint(4, 8) + rng.randint(15, 40) for _ in range(count)]
    pool = rng.choices(words, cum_weights=cumulative, k=sum(lengths) + 25 * count)
    cursor = 0

    def text(k: int) -> str:
        nonlocal cursor
        cursor += k
        return " ".join(pool[cursor - k : cursor])

    agents = [f"agent{n:03d}" for n in range(1, 201)]
    orgs = [f"org{n:02d}" for n in range(1, 61)]
    active = sorted(ACTIVE_STATUSES)
    statuses = rng.choices(
        [*active, Status.RESOLVED, Status.CLOSED, Status.CANCELLED],
        weights=[1.2, 2.0, 1.0, 0.8, 10, 83, 2],
        k=count,
    )
    priorities = rng.choices(list(Priority), weights=[3, 17, 50, 30], k=count)
    tiers = rng.choices([1, 2, 3], weights=[60, 30, 10], k=count)
    types = rng.choices(list(TicketType), k=count)
    channels = rng.choices(list(Channel), k=count)
    start = NOW - timedelta(days=3 * 365)
    span = int((NOW - start).total_seconds())
    out: list[tuple[Ticket, list[Comment]]] = []
    for i in range(count):
        status = statuses[i]
        created = start + timedelta(seconds=span * i // count + rng.randint(0, 3600))
        is_active = status in ACTIVE_STATUSES
        if is_active:
            created = NOW - timedelta(minutes=rng.randint(10, 60 * 24 * 30))
        updated = min(NOW, created + timedelta(minutes=rng.randint(1, 60 * 24 * 5)))
        assignee = rng.choice(agents) if (not is_active or rng.random() > 0.1) else None
        due = None
        if is_active and status not in (Status.PENDING, Status.ON_HOLD):
            due = NOW + timedelta(minutes=rng.randint(-600, 60 * 24 * 5))
        resolved = updated if status in DONE_STATUSES else None
        closed = updated if status in (Status.CLOSED, Status.CANCELLED) else None
        watchers: tuple[str, ...] = ()
        if rng.random() < 0.3:
            watchers = tuple(dict.fromkeys(rng.choices(agents, k=rng.randint(1, 2))))
        subject_words = rng.randint(4, 8)
        ticket = Ticket(
            key="",
            subject=text(subject_words).capitalize(),
            description=text(lengths[i] - subject_words),
            type=types[i],
            priority=priorities[i],
            status=status,
            tier=tiers[i],
            assignee=assignee,
            requester_name=f"Customer {i % 50_000}",
            requester_email=f"customer{i % 50_000}@example.com",
            organization=orgs[i % len(orgs)],
            watchers=watchers,
            channel=channels[i],
            created_at=created,
            updated_at=updated,
            first_response_at=created + timedelta(minutes=30) if status != Status.NEW else None,
            resolved_at=resolved,
            closed_at=closed,
            sla_due_at=due,
            sla_risk_at=None if due is None else due - timedelta(minutes=30),
        )
        thread: list[Comment] = []
        if rng.random() < comment_ratio:
            thread.append(Comment(CommentKind.REPLY, assignee or "agent001", text(20), updated))
        out.append((ticket, thread))
    return out


def views(now: datetime) -> dict[str, Query]:
    """The saved views of the queue (product.md), as the UI would ask for them."""
    return {
        "my open": Query(assignees=frozenset({ME}), statuses=ACTIVE_STATUSES),
        "all open": Query(statuses=ACTIVE_STATUSES),
        "unassigned": Query(unassigned=True, statuses=ACTIVE_STATUSES),
        "my closed": Query(assignees=frozenset({ME}), statuses=DONE_STATUSES),
        "all closed": Query(statuses=DONE_STATUSES),
        "watching": Query(watcher=ME),
        "breaching soon": Query(due_before=now + timedelta(minutes=30), statuses=ACTIVE_STATUSES),
        # Most urgent first (domain/sla/urgency.py), read class by class as the service
        # reads it: four pages with their counts instead of one.
        "breaching soon, most urgent first": Query(
            due_before=now + timedelta(minutes=30), statuses=ACTIVE_STATUSES, sort=SortKey.URGENCY
        ),
        "all open, most urgent first": Query(statuses=ACTIVE_STATUSES, sort=SortKey.URGENCY),
        "take next's candidates (unassigned, tier 1)": Query(
            statuses=ACTIVE_STATUSES, unassigned=True, tiers=frozenset({1}), sort=SortKey.URGENCY
        ),
        "needs first response": Query(
            statuses=ACTIVE_STATUSES, awaiting_first_response=True, sort=SortKey.URGENCY
        ),
        "by tier (2)": Query(tiers=frozenset({2}), statuses=ACTIVE_STATUSES),
        "all open by priority": Query(statuses=ACTIVE_STATUSES, sort=SortKey.PRIORITY),
        "all open by updated desc": Query(
            statuses=ACTIVE_STATUSES, sort=SortKey.UPDATED, descending=True
        ),
        "all closed by created desc": Query(
            statuses=DONE_STATUSES, sort=SortKey.CREATED, descending=True
        ),
        "all closed by priority": Query(statuses=DONE_STATUSES, sort=SortKey.PRIORITY),
        "all tickets by key": Query(sort=SortKey.KEY),
        "all tickets by created desc": Query(sort=SortKey.CREATED, descending=True),
        "all tickets by created": Query(sort=SortKey.CREATED),
        "all tickets by updated desc": Query(sort=SortKey.UPDATED, descending=True),
        "all tickets by priority": Query(sort=SortKey.PRIORITY),
        "all tickets by sla due": Query(sort=SortKey.SLA_DUE),
    }


SEARCHES = ("printer", "vpn timeout", "certif", "reset password locked", "zzzqqq")


def explain(repo: SqlRepository, query: Query) -> str:
    """The database's plan for a view's page query (for tuning)."""
    return repo.page_plan(query.page(0, 50))


def batches(
    items: Sequence[tuple[Ticket, list[Comment]]],
) -> Iterator[tuple[Ticket, list[Comment]]]:
    yield from items


def pg_database(url: str, fresh: bool) -> str:
    """Make sure the database named in `url` exists (dropped and re-created if `fresh`).

    The benchmark keeps its million tickets in a database of their own, so the tests'
    schemas on the same server and the benchmark's store never meet. Returns `url`.
    """
    import sqlalchemy as sa

    target = sa.make_url(url)
    name = target.database
    if not name or name == "postgres":
        raise SystemExit("--pg: name a database of its own, e.g. .../bench1m")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            quoted = conn.dialect.identifier_preparer.quote(name)
            if exists and fresh:
                conn.exec_driver_sql(f"DROP DATABASE {quoted} WITH (FORCE)")
            if not exists or fresh:
                conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()
    return url


def sa_url(url: str) -> Any:
    import sqlalchemy as sa

    return sa.make_url(url)


def import_into(name: str, repo: SqlRepository, items: list[tuple[Ticket, list[Comment]]]) -> None:
    """Bulk-import `items` and print how long it took (wall and this process's CPU)."""
    load = os.getloadavg()[0]
    t0, cpu0 = time.perf_counter(), time.process_time()
    stored = repo.bulk_import(batches(items))
    imported, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    verdict = "ok" if imported <= 60 else "OVER TARGET"
    # CPU seconds of this process (Python and SQLite alike) tell a slow import from a
    # busy machine: on a shared host the wall time moves with everybody else's load. On
    # PostgreSQL most of the work is the server's, so the CPU figure is only the client's.
    print(f"{name}: load average before the import: {load:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{name}: bulk_import: {stored:,} tickets in {imported:.1f} s "
        f"({stored / imported:,.0f}/s, {cpu:.1f} s client CPU)  target <= 60 s: {verdict}"
    )


def measurements(now: datetime) -> dict[str, Query]:
    """Everything timed, by the name printed: the saved views, then the searches."""
    timed = {name: query for name, query in views(now).items()}
    for words in SEARCHES:
        timed[f"search {words!r}"] = Query(text=words)
    for words in SEARCHES[:2]:
        timed[f"search {words!r} (open)"] = Query(text=words, statuses=ACTIVE_STATUSES)
    for words in SEARCHES:
        timed[f"search {words!r} best first"] = Query(text=words, sort=SortKey.RELEVANCE)
    for words in SEARCHES[:2]:
        ranked = Query(text=words, statuses=ACTIVE_STATUSES, sort=SortKey.RELEVANCE)
        timed[f"search {words!r} (open) best first"] = ranked
    return timed


def side_by_side_ms(actions: dict[str, Callable[[], _R]], runs: int) -> dict[str, tuple[float, _R]]:
    """Median wall time of each action and its last result. One warm-up call each, then
    each run calls every action in turn: a busy moment of the machine falls on all the
    stores alike, not on whichever was timed then."""
    last = {name: action() for name, action in actions.items()}
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            t0 = time.perf_counter()
            last[name] = action()
            times[name].append((time.perf_counter() - t0) * 1000)
    return {name: (statistics.median(times[name]), last[name]) for name in actions}


def measure(
    repos: dict[str, SqlRepository],
    runs: int,
    show_plans: bool,
    organizations: frozenset[str] | None = None,
    exact: bool = False,
) -> dict[str, dict[str, tuple[float, str]]]:
    """For each store, the median ms and total of each measurement (page of 50 + count),
    plus two point reads, the stores timed side by side (`side_by_side_ms`); with
    `organizations`, each query scoped to them as the service scopes an agent's."""
    results: dict[str, dict[str, tuple[float, str]]] = {name: {} for name in repos}
    for what, query in measurements(NOW).items():
        # As the lists on screen ask: the count stops at COUNT_CAP ("10,000+"), a
        # search's at SEARCH_COUNT_CAP ("1,000+").
        query = replace(query, count_cap=None if exact else list_count_cap(query))
        if organizations is not None:
            query = replace(query, organizations=organizations)
        urgent = query.sort is SortKey.URGENCY
        if urgent:
            query = replace(query, as_of=NOW)
        pages = side_by_side_ms(
            {
                name: partial(read_urgent_first, query, read=repo.query)
                if urgent
                else partial(repo.query, query)
                for name, repo in repos.items()
            },
            runs,
        )
        for name, (ms, page) in pages.items():
            results[name][what] = (ms, f"{page.total:,}" + ("+" if page.capped else ""))
            if show_plans and not urgent:
                print(f"    {name} plan of {what}: {explain(repos[name], query)}")
    for words in SEARCHES[:4]:
        # Not a query the app runs: the search index's own ranked page, with no join,
        # no filter and no count, to read the app's best-first figures against.
        floors = side_by_side_ms(
            {name: partial(ranked_page_alone, repo, words.split()) for name, repo in repos.items()},
            runs,
        )
        for name, (ms, _) in floors.items():
            results[name][f"floor, ranked alone: {words!r}"] = (ms, "")
    reads: dict[str, dict[str, Callable[[], object]]] = {
        "change_token": {},
        "get(first open by key)": {},
    }
    for name, repo in repos.items():
        first = Query(statuses=ACTIVE_STATUSES, sort=SortKey.KEY, limit=1)
        reads["change_token"][name] = repo.change_token
        reads["get(first open by key)"][name] = partial(repo.get, repo.query(first).tickets[0].key)
    for what, actions in reads.items():
        for name, (ms, _) in side_by_side_ms(actions, runs).items():
            results[name][what] = (ms, "")
    return results


def ranked_page_alone(repo: SqlRepository, tokens: list[str]) -> list[int]:
    """The 50 best matches of `tokens` read from the search index alone: FTS5's bm25 on
    SQLite; on PostgreSQL RUM's distance (ts_rank where the index is GIN's). The floor of
    a best-first page: what the database spends ranking before any join or count."""
    with repo.engine.connect() as conn:
        if repo.engine.dialect.name == "sqlite":
            sql = "SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ? ORDER BY rank LIMIT 50"
            return [r for (r,) in conn.exec_driver_sql(sql, (fts5_match(tokens),))]
        q = "to_tsquery('simple', %(q)s)"
        schema = rum_schema(conn)
        method = conn.exec_driver_sql(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
            " WHERE c.oid = to_regclass('ix_tickets_search')"
        ).scalar()
        order = (
            f'search_vector OPERATOR("{schema}".<=>) {q}'
            if method == "rum"
            else f"ts_rank(search_vector, {q}) DESC"
        )
        sql = f"SELECT id FROM tickets WHERE search_vector @@ {q} ORDER BY {order} LIMIT 50"
        return [r for (r,) in conn.exec_driver_sql(sql, {"q": tsquery(tokens)})]


def index_builds(repo: SqlRepository) -> str:
    """Seconds to build the search index alone, RUM's and GIN's, on the store's million
    vectors with the import's memory, each in a transaction rolled back: the floor of an
    import into an empty store (PostgreSQL builds either with one process)."""
    builds = []
    with repo.engine.connect() as conn:
        schema = rum_schema(conn)
        conn.rollback()  # the lookup's own transaction
        methods = {"GIN": "gin (search_vector)"}
        if schema is not None:
            methods = {"RUM": f'rum (search_vector "{schema}".rum_tsvector_ops)', **methods}
        for name, using in methods.items():
            with conn.begin() as tx:
                conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
                t0 = time.perf_counter()
                conn.exec_driver_sql(f"CREATE INDEX bench_search_build ON tickets USING {using}")
                builds.append(f"{name} {time.perf_counter() - t0:.1f} s")
                tx.rollback()
    return ", ".join(builds)


def agent_login(url: str, name: str, organizations: frozenset[str]) -> SqlRepository:
    """The store as agent `name` (tier 1, serving `organizations`) signs in with a login
    of its own: made (or mapped) by the owner, with a throwaway password."""
    import secrets as random_secrets

    import sqlalchemy as sa

    owner = SqlRepository.open(url, DATA / "attachments-pg")
    password = random_secrets.token_urlsafe(16)
    try:
        owner.save_agent(Agent(name, name, organizations=tuple(sorted(organizations))))
        owner.set_agent_password(name, password)
    finally:
        owner.close()
    signed_in = sa.make_url(url).set(username=name, password=password)
    return SqlRepository.open(signed_in, DATA / "attachments-pg")


def old_tuning(path: Path) -> SqlRepository:
    """The SQLite store with the pragmas it had before the app's memory target: reads
    through a 2 GiB memory map (which counts in the app's resident memory, the whole
    file once read) and a 64 MiB page cache per connection."""
    import sqlalchemy as sa

    repo = SqlRepository.open(path)
    repo.engine.dispose()  # the pool's connections were tuned the new way

    @sa.event.listens_for(repo.engine, "connect")
    def _tune(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA cache_size=-65536")
        dbapi_connection.execute("PRAGMA mmap_size=2147418112")

    return repo


class RankedByJoin(SqlRepository):
    """The SQLite store ranking a best-first search as it did before the ranking stayed
    in the search index: every match joined to its ticket, whatever the filter."""

    def _fts_ranked(self, terms: Any, tokens: Any, descending: bool, *_: Any) -> Any:
        import sqlalchemy as sa

        return super()._fts_ranked(terms or [sa.true()], tokens, descending, None, False)


def without_row_sizes(path: Path) -> Path:
    """A copy of the SQLite store beside it whose search index keeps no row sizes
    (`columnsize=0`, as before migration 0011): bm25 then tokenizes every match again to
    learn its length. Made once, reused after."""
    import sqlite3

    copy = path.with_name(f"{path.stem}-no-sizes.db")
    if copy.exists():
        return copy
    SqlRepository.open(path).close()  # at head, its log folded in
    partial_copy = copy.with_suffix(".partial")
    shutil.copyfile(path, partial_copy)
    with sqlite3.connect(partial_copy) as db:
        db.execute(
            "CREATE VIRTUAL TABLE tickets_fts_old USING fts5(subject, description, comments,"
            " tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)"
        )
        db.execute(
            "INSERT INTO tickets_fts_old (rowid, subject, description, comments)"
            " SELECT rowid, subject, description, comments FROM tickets_fts"
        )
        db.execute("DROP TABLE tickets_fts")
        db.execute("ALTER TABLE tickets_fts_old RENAME TO tickets_fts")
    partial_copy.rename(copy)
    return copy


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the stores, then time the views and searches on each, side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--reuse", action="store_true", help="keep existing stores")
    parser.add_argument("--explain", action="store_true", help="print query plans")
    parser.add_argument("--comments", type=float, default=0.1, help="share with one comment")
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="also a PostgreSQL store in this database (created if missing), e.g. "
        "postgresql+psycopg://helpdesk@127.0.0.1:55432/bench1m",
    )
    parser.add_argument(
        "--pg-compare",
        metavar="URL",
        help="with --reuse: also time this PostgreSQL database, holding the same tickets "
        "(a copy: CREATE DATABASE ... TEMPLATE), e.g. with another search index",
    )
    parser.add_argument(
        "--pg-gin",
        action="store_true",
        help="a new PostgreSQL store keeps GIN as its search index, as where the rum "
        "extension is not installed (the import's anchor: RUM takes longer to build)",
    )
    parser.add_argument("--pg-only", action="store_true", help="skip the SQLite store")
    parser.add_argument(
        "--pg-login",
        metavar="NAME",
        help="PostgreSQL only: also time an agent's own login serving --pg-orgs (row-level "
        "security) against the owner's login with the app's scope alone",
    )
    parser.add_argument("--pg-orgs", type=int, default=3, help="organizations NAME serves")
    parser.add_argument(
        "--old-sqlite-tuning",
        action="store_true",
        help="also time SQLite as tuned before the app's memory target (2 GiB mmap, 64 MiB "
        "page cache per connection), side by side",
    )
    parser.add_argument(
        "--ranked-by-join",
        action="store_true",
        help="also time the SQLite store joining every match of a best-first search to "
        "its ticket, as before the ranking stayed in the search index, side by side",
    )
    parser.add_argument(
        "--fts-without-sizes",
        action="store_true",
        help="with --reuse: also time a copy of the SQLite store whose search index keeps "
        "no row sizes, as before migration 0011 (made once beside the store)",
    )
    parser.add_argument(
        "--index-builds",
        action="store_true",
        help="PostgreSQL: also time building the search index alone, RUM's and GIN's, as "
        "an import into an empty store does (rolled back)",
    )
    parser.add_argument(
        "--exact-counts",
        action="store_true",
        help="count every match (the command line's lists) instead of stopping at COUNT_CAP",
    )
    args = parser.parse_args(argv)
    if args.pg_only and not args.pg:
        parser.error("--pg-only needs --pg URL")
    if args.pg_login and not args.pg_only:
        parser.error("--pg-login needs --pg URL --pg-only")
    if args.pg_compare and not (args.pg and args.reuse):
        parser.error("--pg-compare needs --pg URL --reuse")
    if args.fts_without_sizes and (args.pg_only or not args.reuse):
        parser.error("--fts-without-sizes needs --reuse and the SQLite store")

    path = DATA / f"bench-{args.tickets}.db"
    stores: dict[str, Callable[[], SqlRepository]] = {}
    files: dict[str, Path] = {}
    if not args.pg_only:
        stores["SQLite"] = partial(SqlRepository.open, path)
        files["SQLite"] = path
        if args.old_sqlite_tuning:
            stores["SQLite, old tuning"] = partial(old_tuning, path)
            files["SQLite, old tuning"] = path
        if args.ranked_by_join:
            stores["SQLite, by join"] = partial(RankedByJoin.open, path)
            files["SQLite, by join"] = path
    if args.pg:
        stores["PostgreSQL"] = partial(SqlRepository.open, args.pg, DATA / "attachments-pg")
    to_build: list[str] = []
    if "SQLite" in stores and (not args.reuse or not path.exists()):
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(DATA / "attachments", ignore_errors=True)
        to_build.append("SQLite")
    if args.pg:
        pg_database(args.pg, fresh=not args.reuse)
        repo = stores["PostgreSQL"]()
        if repo.count(Query()) != args.tickets:
            to_build.append("PostgreSQL")
            if args.reuse:  # a partial or different store: start again
                repo.close()
                pg_database(args.pg, fresh=True)
                repo = stores["PostgreSQL"]()
        repo.close()
    if args.pg_compare:
        copy = sa_url(args.pg_compare).database
        stores[f"PG {copy}"] = partial(SqlRepository.open, args.pg_compare, DATA / "att-cmp")
    if args.pg_gin and "PostgreSQL" in to_build:
        repo = stores["PostgreSQL"]()
        with repo.engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_tickets_search")
            conn.exec_driver_sql(
                "CREATE INDEX ix_tickets_search ON tickets USING gin (search_vector)"
            )
        repo.close()
    if to_build:
        t0 = time.perf_counter()
        items = generate(args.tickets, comment_ratio=args.comments)
        generated = time.perf_counter() - t0
        print(f"generated {len(items):,} tickets in {generated:.1f} s (not part of the import)")
        for name in to_build:
            repo = stores[name]()
            import_into(name, repo, items)
            repo.close()
        del items

    if args.fts_without_sizes:
        files["SQLite, no sizes"] = without_row_sizes(path)
        stores["SQLite, no sizes"] = partial(SqlRepository.open, files["SQLite, no sizes"])
    served: frozenset[str] | None = None
    if args.pg_login:
        served = frozenset(f"org{n:02d}" for n in range(1, args.pg_orgs + 1))
        stores = {
            "owner, scoped": stores["PostgreSQL"],
            f"{args.pg_login}, RLS": partial(agent_login, args.pg, args.pg_login, served),
        }
    repos: dict[str, SqlRepository] = {}
    for name, opener in stores.items():
        repo = repos[name] = opener()
        if name in files:
            file = files[name]
            size = sum(p.stat().st_size for p in file.parent.glob(f"{file.name}*"))
            print(f"{name} store: {file} ({size / 2**20:,.0f} MiB)")
        else:
            with repo.engine.connect() as conn:
                size = int(
                    conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
                )
            print(
                f"PostgreSQL store: {repo.engine.url.render_as_string()} ({size / 2**20:,.0f} MiB)"
            )
        if args.index_builds and not name.startswith("SQLite"):
            print(f"{name}: the search index built alone: {index_builds(repo)}")
    try:
        results = measure(repos, args.runs, args.explain, served, args.exact_counts)
    finally:
        for repo in repos.values():
            repo.close()

    print()
    names = list(results)
    header = "".join(f"{n + ' ms':>16}" for n in names)
    title = f"median of {args.runs} (page of 50 + count)"
    print(f"{title:<46}{header}{'total':>10}  <= 50 ms")
    failures = 0
    for what in results[names[0]]:
        cells = [results[n][what] for n in names]
        totals = {total for _, total in cells}
        slow = [n for n, (ms, _) in zip(names, cells, strict=True) if ms > 50]
        point_read = what == "change_token" or what.startswith(("get(", "floor,"))
        failures += 0 if point_read else len(slow)
        verdict = "" if point_read else ("yes" if not slow else "NO: " + ", ".join(slow))
        # Both stores hold the same generated tickets: a different total is a bug.
        total = "" if point_read else (cells[0][1] if len(totals) == 1 else "DIFFER")
        row = "".join(f"{ms:>16.1f}" for ms, _ in cells)
        print(f"{what:<46}{row}{total:>10}  {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
