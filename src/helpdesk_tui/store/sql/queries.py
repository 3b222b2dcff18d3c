"""Reading tickets: filters, sort orders, pages and counts, threads and history."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ...domain.mentions import MENTION_EVENT
from ...domain.model import Attachment, AuditEntry, Comment, Ticket, TicketType
from ...domain.sla.urgency import Urgency
from ..base import COUNT_CAP, MENTIONS_LOOKED_AT, InvalidInput, Page, Query, SortKey, TimeSpent
from ..fields import search_symbols, search_tokens
from ..validation import check_ts
from .column_types import CHANGE_COUNTER, to_utc
from .rows import (
    ACTIVE_VALUES,
    DONE_VALUES,
    ESCALATION_STR,
    KIND,
    SELECT_TICKET,
    STATUS_STR,
    TYPE_STR,
    spellings,
    ticket_from_row,
)
from .search import SearchIndex, fts5_match, fts_count, symbol_condition
from .tables import attachments, audit, comments, store_meta, tickets, watchers

AUDIT_COLUMNS = (
    audit.c.ticket_key,
    audit.c.at,
    audit.c.actor,
    audit.c.field,
    audit.c.old,
    audit.c.new,
    audit.c.reason,
    audit.c.version,
    audit.c.id,
    audit.c.login,
)
"""An audit row in AuditEntry's order (its `login` last, by keyword)."""


SEARCH_WALK_HITS = 2_000
"""From this many hits, a search's page walks its sort's index (see _walks_sort_index):
at a million tickets the walk is then at most 25,000 index entries, about as long as
sorting 2,000 hits."""

_WALKED = frozenset({SortKey.SLA_DUE, SortKey.PRIORITY, SortKey.CREATED, SortKey.UPDATED})
"""The sorts with an index over all tickets (migration 0009); by key is the table's own."""


@dataclass(slots=True)
class _Where:
    """A query's filters, kept apart where the count can take a shortcut."""

    conditions: list[ColumnElement[bool]]
    """Every filter except the open/closed split and the search words."""
    active: bool | None = None
    """True: only open tickets; False: only closed ones; None: both."""
    tokens: list[str] = field(default_factory=list)
    """The search words (none: no text filter)."""
    text: ColumnElement[bool] | None = None
    """The search as a WHERE term."""

    def terms(self) -> list[ColumnElement[bool]]:
        """All of it as WHERE terms."""
        terms = list(self.conditions)
        if self.active is not None:
            terms.insert(0, tickets.c.is_active == (sa.true() if self.active else sa.false()))
        if self.text is not None:
            terms.append(self.text)
        return terms


def _walks_sort_index(sqlite: bool, where: _Where, query: Query, hits: int) -> bool:
    """Whether a plain search on SQLite has hits enough to read its page in the
    sort's index order.

    SQLite's planner drives a search from the FTS match and sorts every hit: 56 ms
    for "printer" (31,000 hits) at a million tickets. Walking the index of the sort
    instead, testing each entry against the match (a list built once, in C), finds a
    page after about 50 x tickets / hits entries: 9 ms. A rare word is the other way
    round (the walk would cross the table), so only from SEARCH_WALK_HITS.
    """
    plain = not where.conditions and where.active is None and bool(where.tokens)
    return sqlite and plain and hits >= SEARCH_WALK_HITS and query.sort in _WALKED


class TicketQueries(SearchIndex):
    """The protocol's reads, filtered, sorted and paged in SQL."""

    # -- protocol: reading -----------------------------------------------------------

    def get(self, key: str) -> Ticket:
        """The ticket with this key; NotFound if there is none."""
        with self._read_transaction() as conn:
            return ticket_from_row(self._row_by_key(conn, key))

    def query(self, query: Query) -> Page:
        """One page of tickets and the total count, filtered, sorted and paged in SQL."""
        offset, limit = max(0, query.offset), max(0, query.limit)
        where = self._filter(query)
        if where is None:
            return Page([], 0, offset, limit)
        cap = query.count_cap
        with self._read_transaction() as conn:
            if self._lane is None and query.sort is SortKey.RELEVANCE and where.tokens:
                ranked = self._page_select(where, query, conn)
                total, ids = _ranked_page(conn, where, query, ranked)
            elif self._lane is None:
                # SQLite: one snapshot for the page and the count, and the page's plan
                # depends on the count (_walks_sort_index): count first.
                total = _count(conn, where=where, cap=cap, sqlite=self._sqlite)
                ids = self._page_ids(conn, where, query, total) if offset < total else []
            else:
                # PostgreSQL: a search's count runs beside its page (beside.py); a view's
                # counts an index in a few ms, less than handing it over costs. A short
                # page is the end of the list and gives the exact count itself.
                counting = None
                if where.tokens:
                    count = partial(_count, where=where, cap=cap, sqlite=False)
                    counting = self._lane.submit(count)
                ids = self._page_ids(conn, where, query, None)
                if 0 < len(ids) < limit:
                    total = offset + len(ids)
                    if counting is not None:
                        counting.cancel()
                elif counting is not None:
                    total = counting.result()
                else:
                    total = _count(conn, where=where, cap=cap, sqlite=self._sqlite)
            capped = cap is not None and total > cap
            if cap is not None and capped:
                total = cap  # the count read cap + 1: there are more
            tickets_: list[Ticket] = []
            if ids:
                rows = {r[0]: r for r in conn.execute(SELECT_TICKET.where(tickets.c.id.in_(ids)))}
                tickets_ = [ticket_from_row(rows[i]) for i in ids if i in rows]
        return Page(tickets_, total, offset, limit, capped)

    def _page_ids(
        self, conn: Connection, where: _Where, query: Query, hits: int | None
    ) -> list[int]:
        """The ids of the query's page in its order. The ids first, then their rows: the
        sort and the skipped offset touch only index entries (or, for a search, the sort
        keys), never 40 columns of rows that are thrown away."""
        offset, limit = max(0, query.offset), max(0, query.limit)
        if not limit:
            return []
        if hits is not None and _walks_sort_index(self._sqlite, where, query, hits):
            where = replace(where, text=self._text_condition(where.tokens, walk=True))
        stmt = self._page_select(where, query, conn).offset(offset).limit(limit)
        return list(conn.execute(stmt).scalars())

    def _page_select(
        self, where: _Where, query: Query, conn: Connection | None = None
    ) -> sa.Select[Any]:
        """The ids of the query's matches in its order (no page yet). `conn`: SQLite may
        ask it how it would read the filter of a best-first search (`_fts_ranked`)."""
        if query.sort is SortKey.RELEVANCE and where.tokens:
            others = replace(where, text=None).terms()
            return self._ranked_select(
                others, where.tokens, query.descending, conn, open_only=where.active is True
            )
        stmt = sa.select(tickets.c.id).where(*where.terms())
        return stmt.order_by(*self._order_by(query))

    def page_plan(self, query: Query) -> str:
        """The database's plan for the ids of a page of `query`, one line (a diagnostic
        for benchmarks/bench_store.py --explain and the plan tests)."""
        where = self._filter(query) or _Where([sa.false()])
        verb = "EXPLAIN QUERY PLAN" if self._sqlite else "EXPLAIN"
        with self._read_transaction() as conn:
            stmt = self._page_select(where, query, conn).offset(query.offset).limit(query.limit)
            compiled = stmt.compile(self._engine, compile_kwargs={"literal_binds": True})
            plan = conn.exec_driver_sql(f"{verb} {compiled}").all()
        return "; ".join(str(row[-1]) for row in plan)

    def count(self, query: Query) -> int:
        """How many tickets match the query's filters (its sort and page are ignored)."""
        where = self._filter(query)
        if where is None:
            return 0
        with self._read_transaction() as conn:
            return _count(conn, where=where, cap=None, sqlite=self._sqlite)

    def _filter(self, q: Query) -> _Where | None:
        """The WHERE terms of a query; None when nothing can match (no need to ask)."""
        t = tickets.c
        tokens = search_tokens(q.text)
        if q.sort is SortKey.RELEVANCE and not tokens:
            raise InvalidInput("relevance orders a search: give it words to search for")
        where = _Where([], tokens=tokens, text=self._text_condition(tokens) if tokens else None)
        # Symbols no index holds are matched as text, after the words narrowed the rows.
        where.conditions.extend(symbol_condition(symbol) for symbol in search_symbols(q.text))
        statuses = frozenset(STATUS_STR[s] for s in q.statuses)
        # The saved views ask for exactly the open or the closed set: `is_active` leads
        # the view indexes, so say it that way; a subset still narrows by is_active first.
        if statuses:
            if statuses <= ACTIVE_VALUES:
                where.active = True
            elif statuses <= DONE_VALUES:
                where.active = False
            if statuses not in (ACTIVE_VALUES, DONE_VALUES):
                where.conditions.append(t.status.in_(sorted(statuses)))
        terms = where.conditions
        if q.priorities:
            # By rank, which the view indexes hold after is_active: "new P1s" then reads
            # 1,500 index entries at a million tickets instead of every open ticket.
            ranks = sorted(p.rank for p in q.priorities)
            terms.append(
                t.priority_rank == ranks[0] if len(ranks) == 1 else t.priority_rank.in_(ranks)
            )
        if q.types:
            terms.append(t.type.in_(sorted(TYPE_STR[x] for x in q.types)))
        if q.tiers:
            tiers = sorted(q.tiers)
            terms.append(t.tier == tiers[0] if len(tiers) == 1 else t.tier.in_(tiers))
        if q.assignees or q.unassigned:
            people = sorted(q.assignees)
            held: ColumnElement[bool] | None = None
            if people:
                held = t.assignee == people[0] if len(people) == 1 else t.assignee.in_(people)
            if q.unassigned:
                held = t.assignee.is_(None) if held is None else sa.or_(held, t.assignee.is_(None))
            assert held is not None
            terms.append(held)
        if q.organization_like:
            terms.append(_holds(t.organization, q.organization_like))
        if q.requester_like:
            wanted = q.requester_like
            terms.append(
                sa.or_(_holds(t.requester_name, wanted), _holds(t.requester_email, wanted))
            )
        if q.organizations is not None:
            if not q.organizations:
                return None
            terms.append(t.organization.in_(sorted(q.organizations)))
        if q.watcher is not None:
            terms.append(_watched_by(q.watcher, self._sqlite))
        if q.escalations:
            terms.append(t.escalation.in_(sorted(ESCALATION_STR[e] for e in q.escalations)))
        if q.due_before is not None:
            terms.append(t.sla_due_at < to_utc(q.due_before))  # NULL (paused) never matches
        if q.urgency is not None:
            terms.append(_urgency_condition(q.urgency, q.as_of, self._sqlite))
        if q.awaiting_first_response:
            terms.append(t.first_response_at.is_(None))
        if q.created_after is not None:
            terms.append(t.created_at >= to_utc(q.created_after))
        if q.created_before is not None:
            terms.append(t.created_at < to_utc(q.created_before))
        if q.closed_before is not None:
            terms.append(t.closed_at < to_utc(q.closed_before))
        return where

    def _order_by(self, q: Query) -> list[Any]:
        t = tickets.c
        desc = q.descending

        def by(col: Any) -> Any:
            return col.desc() if desc else col.asc()

        # Paused clocks (NULL due) sort last both ways; the tie-break on id makes pages
        # stable. Where the filter leaves no paused clock (a due bound, a running urgency
        # class) the plain order is the same one, and SQLite walks the whole order from an
        # index: with NULLS LAST it sorts every row past the first column's (the SLA
        # board's breached class, sorted by priority: 22,098 rows at a million tickets).
        sla = by(t.sla_due_at)
        if not _clock_running(q):
            sla = sla.nulls_last()
        sort = SortKey(q.sort)
        if sort is SortKey.SLA_DUE:
            return [sla, by(t.id)]
        if sort is SortKey.URGENCY:
            raise InvalidInput("the urgency order is the service's to read (service/ordering.py)")
        if sort is SortKey.RELEVANCE:
            raise InvalidInput("the relevance order is the search index's (_page_select)")
        if sort is SortKey.PRIORITY:
            return [by(t.priority_rank), sla, by(t.id)]
        if sort is SortKey.CREATED:
            return [by(t.created_at), by(t.id)]
        if sort is SortKey.UPDATED:
            return [by(t.updated_at), by(t.id)]
        return [by(t.id)]

    def comments(self, key: str) -> list[Comment]:
        """The ticket's replies and notes, oldest first, each with its attachments."""
        with self._read_transaction() as conn:
            ticket_id = self._id_of(conn, key)
            files: dict[int | None, list[Attachment]] = {}
            for a in conn.execute(
                sa.select(
                    attachments.c.id,
                    attachments.c.comment_id,
                    attachments.c.filename,
                    attachments.c.size,
                    attachments.c.sha256,
                    attachments.c.content_type,
                    attachments.c.uploaded_by,
                    attachments.c.created_at,
                )
                .where(attachments.c.ticket_id == ticket_id)
                .order_by(attachments.c.id)
            ):
                files.setdefault(a[1], []).append(
                    Attachment(
                        filename=a[2],
                        size=a[3],
                        sha256=a[4],
                        content_type=a[5],
                        id=a[0],
                        comment_id=a[1],
                        uploaded_by=a[6],
                        created_at=a[7],
                    )
                )
            rows = conn.execute(
                sa.select(
                    comments.c.id,
                    comments.c.kind,
                    comments.c.author,
                    comments.c.body,
                    comments.c.created_at,
                    comments.c.from_customer,
                    comments.c.merged_from,
                    comments.c.minutes,
                )
                .where(comments.c.ticket_id == ticket_id)
                # Time order: a merge brings older messages in under newer ids.
                .order_by(comments.c.created_at, comments.c.id)
            )
            return [
                Comment(
                    kind=KIND[r[1]],
                    author=r[2],
                    body=r[3],
                    created_at=r[4],
                    from_customer=bool(r[5]),
                    attachments=tuple(files.get(r[0], ())),
                    id=r[0],
                    merged_from=r[6],
                    minutes=r[7],
                )
                for r in rows
            ]

    def time_spent(
        self, since: datetime, until: datetime, organizations: frozenset[str] | None = None
    ) -> TimeSpent:
        """The period's recorded minutes, summed in SQL three ways: one grouped sum each,
        over the messages written in the period (`ix_comments_created`) joined to their
        tickets, so the cost follows the period's messages, not the store's tickets."""
        if organizations is not None and not organizations:
            return TimeSpent()
        c, t = comments.c, tickets.c
        where = [
            c.created_at >= to_utc(since),
            c.created_at < to_utc(until),
            c.minutes.is_not(None),
        ]
        if organizations is not None:
            where.append(t.organization.in_(sorted(organizations)))
        joined = comments.join(tickets, t.id == c.ticket_id)

        def summed(conn: Connection, column: ColumnElement[Any]) -> dict[Any, int]:
            stmt = (
                sa.select(column, sa.func.sum(c.minutes))
                .select_from(joined)
                .where(*where)
                .group_by(column)
            )
            return {r[0]: int(r[1]) for r in conn.execute(stmt)}

        with self._read_transaction() as conn:
            # One snapshot: the three breakdowns add up to the same total.
            by_agent = summed(conn, c.author)
            by_organization = summed(conn, t.organization)
            by_type = {TicketType(v): n for v, n in summed(conn, t.type).items()}
        return TimeSpent(by_agent, by_organization, by_type)

    def history(self, key: str) -> list[AuditEntry]:
        """The ticket's audit entries, oldest first (a purged ticket keeps its tombstone)."""
        with self._read_transaction() as conn:
            rows = conn.execute(
                sa.select(*AUDIT_COLUMNS)
                .where(audit.c.ticket_key.in_(spellings(key)))
                .order_by(audit.c.id)
            ).all()
            if not rows:
                self._id_of(conn, key)  # NotFound for a key that never existed
        return [AuditEntry(*r[:9], login=r[9]) for r in rows]

    def mentions(
        self, username: str, since: datetime | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        """The notes that called `username` in (@name), newest first: read through the
        index of mention entries (migration 0007), however long the history is."""
        stmt = (
            sa.select(*AUDIT_COLUMNS)
            # The event as a literal, not a parameter: only then may SQLite's planner use
            # the partial index, whose condition names it.
            .where(
                audit.c.field == sa.literal_column(f"'{MENTION_EVENT}'"), audit.c.new == username
            )
            .order_by(audit.c.id.desc())
            .limit(max(1, min(limit, 500)))
        )
        if since is not None:
            stmt = stmt.where(audit.c.at > check_ts("since", since))
        with self._read_transaction() as conn:
            rows = conn.execute(stmt).all()
        return [AuditEntry(*r[:9], login=r[9]) for r in rows]

    def unanswered_mentions(
        self, username: str, organizations: frozenset[str] | None = None, cap: int = COUNT_CAP
    ) -> int:
        """Of the latest notes that called `username` in, those on open tickets they have
        not written on since: the notes through the mentions index (0007), then per note
        the ticket by its id and the entries after it through `ix_audit_ticket_key`."""
        if organizations is not None and not organizations:
            return 0
        latest = (
            sa.select(audit.c.id, audit.c.ticket_id, audit.c.ticket_key)
            .where(
                audit.c.field == sa.literal_column(f"'{MENTION_EVENT}'"),
                audit.c.new == username,
                audit.c.actor != username,
            )
            .order_by(audit.c.id.desc())
            .limit(MENTIONS_LOOKED_AT)
            .subquery()
        )
        later = audit.alias("later")
        answered = sa.exists().where(
            later.c.ticket_key == latest.c.ticket_key,
            later.c.id > latest.c.id,
            later.c.actor == username,
        )
        t = tickets.c
        waiting = (
            sa.select(sa.literal(1))
            .select_from(latest.join(tickets, t.id == latest.c.ticket_id))
            .where(t.is_active == sa.true(), ~answered)
        )
        if organizations is not None:
            waiting = waiting.where(t.organization.in_(sorted(organizations)))
        stmt = sa.select(sa.func.count()).select_from(waiting.limit(max(0, cap) + 1).subquery())
        with self._read_transaction() as conn:
            return int(conn.execute(stmt).scalar_one())

    def entries_by(self, actor: str, since: datetime, limit: int = 500) -> list[AuditEntry]:
        """`actor`'s history entries on tickets since `since`, newest first: only tickets
        changed since then can hold one (every write stamps `updated_at`), so those are
        found first through `ix_tickets_updated` and their entries through
        `ix_audit_ticket_key`; the audit table has no index on its actor."""
        start = check_ts("since", since)
        changed = sa.select(tickets.c.key).where(tickets.c.updated_at >= start)
        stmt = (
            sa.select(*AUDIT_COLUMNS)
            .where(
                audit.c.ticket_key.in_(changed),
                audit.c.actor == actor,
                audit.c.at >= start,
            )
            .order_by(audit.c.id.desc())
            .limit(max(1, min(limit, 10_000)))
        )
        with self._read_transaction() as conn:
            rows = conn.execute(stmt).all()
        return [AuditEntry(*r[:9], login=r[9]) for r in rows]

    def change_token(self) -> str:
        """Differs after every write: poll it to know when to refresh a view."""
        with self._read_transaction() as conn:
            value = conn.execute(
                sa.select(store_meta.c.value).where(store_meta.c.name == CHANGE_COUNTER)
            ).scalar()
        return str(value)


def _watched_by(username: str, sqlite: bool) -> ColumnElement[bool]:
    watched = sa.select(watchers.c.ticket_id).where(watchers.c.username == username)
    if sqlite:
        return tickets.c.id.in_(watched)
    # As a semi-join, PostgreSQL walks the sort's index over every ticket hoping to
    # meet the watched ones early (150 ms at a million tickets); an array of the ids
    # makes it fetch those few by key and sort them (14 ms, bench_store.py).
    return tickets.c.id == sa.any_(sa.func.array(watched.scalar_subquery()))


def _holds(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """`column` holds `text` in any case (LIKE's % and _ in it are taken literally)."""
    return sa.func.lower(column).contains(text.lower(), autoescape=True)


def _clock_running(q: Query) -> bool:
    """Whether every ticket `q` matches has a due time (no paused clock)."""
    return q.due_before is not None or q.urgency not in (None, Urgency.PAUSED)


def _urgency_condition(
    urgency: Urgency, as_of: datetime | None, sqlite: bool
) -> ColumnElement[bool]:
    """The tickets in one urgency class at `as_of` (domain/sla/urgency.py's bounds)."""
    t = tickets.c
    due: ColumnElement[Any] = t.sla_due_at
    risk: ColumnElement[Any] = t.sla_risk_at
    if sqlite:
        # A class is read sorted by priority: with no statistics SQLite would rather
        # range-scan the due index and sort, visiting every open row to test the other
        # filters. The unary + keeps these bounds off index selection, so the index that
        # serves the priority order (and holds the clock columns) is chosen.
        due = sa.literal_column("+tickets.sla_due_at", type_=due.type)
        risk = sa.literal_column("+tickets.sla_risk_at", type_=risk.type)
    if urgency is Urgency.PAUSED:
        return due.is_(None)
    if as_of is None:
        raise InvalidInput("an urgency filter needs the instant it is judged at")
    now = to_utc(as_of)
    if urgency is Urgency.BREACHED:
        return due <= now
    if urgency is Urgency.AT_RISK:
        return sa.and_(due > now, risk <= now)
    return sa.and_(due > now, sa.or_(risk.is_(None), risk > now))


def _ranked_page(
    conn: Connection, where: _Where, query: Query, stmt: sa.Select[Any]
) -> tuple[int, list[int]]:
    """SQLite, best first: the page's ids (of `stmt`, `_page_select`'s) and the count of
    every match. Where the matches are tested against a filter list (`_fts_ranked`),
    from one statement: bm25 reads every match before the best 50 are known, so counting
    them there costs nothing more, where a count of its own reads them all again (14 ms
    for "printer" among the open tickets, at a million)."""
    offset, limit = max(0, query.offset), max(0, query.limit)
    unfiltered = not replace(where, text=None).terms()
    if unfiltered or any(isinstance(source, sa.Join) for source in stmt.get_final_froms()):
        # No filter: the FTS table counts its matches in 2 ms, less than the window
        # costs (it holds every match back from the sort). Each match joined to its
        # ticket: no window around that either. Wrapped in one, SQLite's planner may
        # drive the FTS table from each open ticket instead (a MATCH per ticket: 53 s
        # for "vpn timeout" among the open at a million).
        total = _count(conn, where=where, cap=query.count_cap, sqlite=True)
        if offset >= total or not limit:
            return total, []
        return total, list(conn.execute(stmt.offset(offset).limit(limit)).scalars())
    stmt = stmt.add_columns(sa.func.count().over())
    rows = conn.execute(stmt.offset(offset).limit(max(1, limit))).all()
    if rows:
        return int(rows[0][1]), [row[0] for row in rows[:limit]]
    # Past the last match (or none): the count alone says how many there are.
    total = _count(conn, where=where, cap=query.count_cap, sqlite=True) if offset else 0
    return total, []


def _count(conn: Connection, *, where: _Where, cap: int | None, sqlite: bool) -> int:
    """How many tickets match; with `cap`, counting stops at cap + 1 (one more than
    the cap says there are more: the count reads at most that many index entries)."""
    plain_search = sqlite and where.tokens and not where.conditions
    if cap is not None and not (plain_search and where.active is None):
        matching = sa.select(sa.literal(1)).select_from(tickets).where(*where.terms())
        stmt = sa.select(sa.func.count()).select_from(matching.limit(cap + 1).subquery())
        return int(conn.execute(stmt).scalar_one())
    if sqlite and not where.conditions:
        if where.tokens and where.active is None:
            # A plain search: the FTS table has exactly one row per ticket.
            return fts_count(conn, fts5_match(where.tokens))
        if not where.tokens and where.active is False:
            # "All closed" is most of the store. SQLite counts a whole table from its
            # page headers (no row visits), so count everything and subtract the
            # few open tickets: two milliseconds instead of fifty at a million.
            everything = conn.execute(sa.select(sa.func.count()).select_from(tickets))
            still_open = conn.execute(
                sa.select(sa.func.count())
                .select_from(tickets)
                .where(tickets.c.is_active == sa.true())
            )
            return int(everything.scalar_one()) - int(still_open.scalar_one())
    stmt = sa.select(sa.func.count()).select_from(tickets).where(*where.terms())
    return int(conn.execute(stmt).scalar_one())
