"""TicketSearch: a Query as TicketSQL, RT's ordering and paging, and the change token."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ...domain.model import Escalation, Priority, TicketType
from ...domain.sla.urgency import Urgency
from ..base import InvalidInput, Page, Query, SortKey
from ..fields import search_symbols, search_tokens
from .client import expect_list
from .errors import RtBadResponse, RtUnsupported
from .mapping import CUSTOM_FIELDS, fmt_ts
from .session import RtSession

SEARCH_FIELDS = "Subject,Status,Priority,Queue,Owner,Created,LastUpdated,CustomFields"
"""The fields a queue page asks RT for: all a Ticket needs but the roles."""


def sql_date(value: datetime) -> str:
    """A TicketSQL date with its offset, so RT never reads it in its user's timezone."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def sql_str(value: str) -> str:
    """A TicketSQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _cf_term(name: str) -> str:
    """A custom field as TicketSQL names it."""
    return "CF.{" + name + "}"


def _search_words(text: str | None) -> list[str]:
    """The words (letters and digits) and the runs of symbols ("🔥") of a search: a search
    of symbols alone must not turn into no condition at all, which would match every
    ticket. Each is quoted by `sql_str`, so nothing in it is a TicketSQL operator."""
    words = (t.lower() for t in search_tokens(text))
    return list(dict.fromkeys([*words, *search_symbols(text)]))


def _total(data: Mapping[str, Any], host: str) -> int:
    total = data.get("total")
    if isinstance(total, int):
        return total
    if isinstance(total, str) and total.isdigit():
        return int(total)
    raise RtUnsupported(
        f"RT at {host} does not count search results for this user (it needs the "
        "SuperUser or ShowTicket right on every queue)"
    )


MIN_ROWS_A_REQUEST = 10
"""A page is split into parallel requests of no fewer rows: RT reads each ticket's custom
fields at about 10 ms a ticket, while a request of its own costs it some 20 ms."""


def _pages_for(offset: int, rows: int, parallel: int) -> tuple[int, int, int]:
    """(per_page, first page, how many pages) of RT's paging that hold offset..offset+rows-1
    in `parallel` requests at most (more only when RT's 100 rows a page need them), with
    the fewest rows a request, then the fewest rows in all."""
    most = max(parallel, -(-rows // 100))
    while True:
        fits = []
        for per_page in range(1, 101):
            first, last = offset // per_page, (offset + rows - 1) // per_page
            if last - first < most:
                fits.append((per_page, (last - first + 1) * per_page, first + 1, last - first + 1))
        if fits:
            per_page, _rows, first_page, count = min(fits)
            return per_page, first_page, count
        most += 1  # the rows straddle RT's pages: one more than they fill


def _order(q: Query) -> list[tuple[str, str]]:
    """RT's orderby/order pairs for the query's sort."""
    up, down = ("DESC", "ASC") if q.descending else ("ASC", "DESC")
    clock = (_cf_term(CUSTOM_FIELDS["sla_clock"]), "ASC")  # "stopped" after "running", both ways
    due = (_cf_term(CUSTOM_FIELDS["sla_due"]), up)
    sort = SortKey(q.sort)
    if sort is SortKey.SLA_DUE:
        return [clock, due, ("id", up)]
    if sort is SortKey.URGENCY:
        raise InvalidInput("the urgency order is the service's to read (service/ordering.py)")
    if sort is SortKey.RELEVANCE:
        raise RtUnsupported("RT does not rank search results: sort them by another key")
    if sort is SortKey.PRIORITY:
        return [("Priority", down), clock, due, ("id", up)]
    if sort is SortKey.CREATED:
        return [("Created", up), ("id", up)]
    if sort is SortKey.UPDATED:
        return [("LastUpdated", up), ("id", up)]
    return [("id", up)]


def _urgency_sql(urgency: Urgency, as_of: datetime | None) -> str:
    """TicketSQL for one urgency class at `as_of` (domain/sla/urgency.py's bounds). The
    custom fields hold sortable UTC text, so text comparison is time comparison."""
    due, risk = _cf_term(CUSTOM_FIELDS["sla_due"]), _cf_term(CUSTOM_FIELDS["sla_risk"])
    if urgency is Urgency.PAUSED:
        return f"{due} IS NULL"
    if as_of is None:
        raise InvalidInput("an urgency filter needs the instant it is judged at")
    now = sql_str(fmt_ts(as_of))
    if urgency is Urgency.BREACHED:
        return f"{due} <= {now}"
    if urgency is Urgency.AT_RISK:
        return f"({due} > {now} AND {risk} <= {now})"
    return f"({due} > {now} AND ({risk} IS NULL OR {risk} > {now}))"


def _literal(text: str) -> str:
    """`text` for RT's LIKE, which has no escape: a % would match every name, so it is
    refused; an _ matches any one character there (a name with one still matches)."""
    if "%" in text:
        raise RtUnsupported(f"RT cannot look for a % in a name ({text[:40]!r})")
    return text


class TicketSearch:
    """Queue pages and counts: searches with `fields=`, a page split into requests sent at
    once (cached for `cache_seconds`)."""

    def __init__(self, session: RtSession) -> None:
        self._session = session
        self._client = session.client
        self._mapping = session.mapping
        self._config = session.config
        self._token_seen: str | None = None
        """The change token last returned: a different one drops the cached searches."""
        self._totals: dict[str, int] = {}
        """TicketSQL → how many tickets RT last said match: whether a page is worth
        splitting (only that; the page asked for is the same either way)."""

    def ticket_sql(self, q: Query) -> str | None:
        """The TicketSQL for a query's filters; None when nothing can match."""
        statuses, queue_ids = self._mapping.statuses, self._mapping.queue_ids
        terms = ["(" + " OR ".join(f"Queue = {sql_str(n)}" for n in queue_ids) + ")"]

        def any_of(items: Iterable[str]) -> None:
            options = list(items)
            terms.append("(" + " OR ".join(options) + ")")

        if q.statuses:
            names = sorted({statuses[s] for s in q.statuses if s in statuses})
            if not names:
                return None
            any_of(f"Status = {sql_str(n)}" for n in names)
        if q.priorities:
            bands = {
                Priority.CRITICAL: "Priority >= 88",
                Priority.HIGH: "(Priority >= 63 AND Priority < 88)",
                Priority.MEDIUM: "(Priority >= 38 AND Priority < 63)",
                Priority.LOW: "Priority < 38",
            }
            any_of(bands[Priority(p)] for p in sorted(q.priorities, key=lambda p: p.rank))
        if q.types:
            cf = _cf_term(CUSTOM_FIELDS["type"])
            options = [f"{cf} = {sql_str(TicketType(t).value)}" for t in sorted(q.types)]
            if TicketType.INCIDENT in q.types:
                options.append(f"{cf} IS NULL")
            any_of(options)
        if q.tiers:
            queues = [n for n, tier in self._config.queues.items() if tier in q.tiers]
            if not queues:
                return None
            any_of(f"Queue = {sql_str(n)}" for n in queues)
        if q.assignees or q.unassigned:
            people = sorted(q.assignees)
            if q.unassigned:
                people.append("Nobody")
            any_of(f"Owner = {sql_str(p)}" for p in people)
        # RT's LIKE is a substring match in any case, with no escape for its wildcards.
        if q.organization_like:
            cf = _cf_term(CUSTOM_FIELDS["organization"])
            terms.append(f"{cf} LIKE {sql_str(_literal(q.organization_like))}")
        if q.requester_like:
            literal = sql_str(_literal(q.requester_like))
            terms.append(
                f"(Requestor.EmailAddress LIKE {literal} OR Requestor.RealName LIKE {literal})"
            )
        if q.organizations is not None:
            if not q.organizations:
                return None
            cf = _cf_term(CUSTOM_FIELDS["organization"])
            any_of(f"{cf} = {sql_str(o)}" for o in sorted(q.organizations))
        if q.watcher is not None:
            terms.append(f"AdminCc.Name = {sql_str(q.watcher)}")
        if q.escalations:
            cf = _cf_term(CUSTOM_FIELDS["escalation"])
            options = [f"{cf} = {sql_str(Escalation(e).value)}" for e in sorted(q.escalations)]
            if Escalation.NONE in q.escalations:
                options.append(f"{cf} IS NULL")
            any_of(options)
        if q.due_before is not None:
            terms.append(f"{_cf_term(CUSTOM_FIELDS['sla_due'])} < {sql_str(fmt_ts(q.due_before))}")
        if q.urgency is not None:
            terms.append(_urgency_sql(q.urgency, q.as_of))
        if q.awaiting_first_response:
            terms.append(f"{_cf_term(CUSTOM_FIELDS['first_response'])} IS NULL")
        if q.created_after is not None:
            terms.append(f"Created >= {sql_str(sql_date(q.created_after))}")
        if q.created_before is not None:
            terms.append(f"Created < {sql_str(sql_date(q.created_before))}")
        if q.closed_before is not None:
            terms.append(
                f"{_cf_term(CUSTOM_FIELDS['closed'])} < {sql_str(fmt_ts(q.closed_before))}"
            )
        for token in _search_words(q.text):
            literal = sql_str(token)
            terms.append(f"(Subject LIKE {literal} OR Content LIKE {literal})")
        return " AND ".join(terms)

    def _params(
        self, sql: str, order: list[tuple[str, str]], page: int, per_page: int, fields: str
    ) -> list[tuple[str, str | int]]:
        params: list[tuple[str, str | int]] = [("query", sql)]
        params += [("orderby", name) for name, _ in order]
        params += [("order", direction) for _, direction in order]
        return [*params, ("page", page), ("per_page", per_page), ("fields", fields)]

    def _searches(
        self,
        sql: str,
        order: list[tuple[str, str]],
        pages: list[tuple[int, int]],
        fields: str = SEARCH_FIELDS,
    ) -> list[dict[str, Any]]:
        """RT's answers for these (page, per_page) of one search, from the cache when
        fresh, the others asked at once."""
        keys = [json.dumps(self._params(sql, order, p, n, fields)) for p, n in pages]
        now = time.monotonic()
        found: dict[str, dict[str, Any]] = {}
        with self._session.lock:
            for key in keys:
                hit = self._session.searches.get(key)
                if hit is not None and now - hit[0] < self._config.cache_seconds:
                    found[key] = hit[1]
        missing = [key for key in keys if key not in found]
        answers = self._client.get_many(
            [("tickets", [tuple(pair) for pair in json.loads(key)]) for key in missing]
        )
        for key, data in zip(missing, answers, strict=True):
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise RtBadResponse(f"RT at {self._config.host} sent a search result without items")
            found[key] = data
        with self._session.lock:
            if len(self._session.searches) > 256:
                self._session.searches.clear()
            for key in missing:
                self._session.searches[key] = (now, found[key])
        return [found[key] for key in keys]

    def query(self, query: Query) -> Page:
        """One page and the total: the search requests with `fields=` (cached) that hold
        the page, sent at once; one when few tickets match (as RT said last time)."""
        offset, limit = max(0, query.offset), max(0, query.limit)
        sql = self.ticket_sql(query)
        if sql is None:
            return Page([], 0, offset, limit)
        order = _order(query)
        rows = max(1, limit)
        with self._session.lock:
            known = self._totals.get(sql)
        expected = rows if known is None else max(1, min(rows, known - offset))
        parallel = min(self._config.parallel_requests, -(-expected // MIN_ROWS_A_REQUEST))
        per_page, first, count = _pages_for(offset, rows, max(1, parallel))
        answers = self._searches(
            sql, order, [(page, per_page) for page in range(first, first + count)]
        )
        total = _total(answers[0], self._config.host)
        self._remember_total(sql, total)
        items: list[dict[str, Any]] = []
        seen: set[object] = set()
        for data in answers:
            for item in data["items"]:
                # Paged apart, a ticket that moved meanwhile may come twice.
                if item.get("id") not in seen:
                    seen.add(item.get("id"))
                    items.append(item)
        start = offset - (first - 1) * per_page
        window = items[start : start + limit]
        return Page([self._mapping.ticket_from(r) for r in window], total, offset, limit)

    def count(self, query: Query) -> int:
        sql = self.ticket_sql(query)
        if sql is None:
            return 0
        [data] = self._searches(sql, [("id", "ASC")], [(1, 1)], "id")
        total = _total(data, self._config.host)
        self._remember_total(sql, total)
        return total

    def _remember_total(self, sql: str, total: int) -> None:
        with self._session.lock:
            if len(self._totals) > 256:
                self._totals.clear()
            self._totals[sql] = total

    def change_token(self) -> str:
        """The id of the newest transaction RT shows this user: moves on every write."""
        data = self._client.get_json(
            "transactions",
            [
                ("query", "ObjectType = 'RT::Ticket'"),
                ("orderby", "id"),
                ("order", "DESC"),
                ("per_page", 1),
                ("fields", "id"),
            ],
        )
        items = expect_list(data, "items", self._config.host)
        token = str(items[0].get("id")) if items else "0"
        with self._session.lock:
            if self._token_seen is not None and token != self._token_seen:
                self._session.searches.clear()
            self._token_seen = token
        return token
