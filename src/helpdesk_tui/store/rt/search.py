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


def _page_for(offset: int, limit: int) -> tuple[int, int]:
    """(per_page, page) of RT's paging whose one page holds offset..offset+limit-1, at
    most 100 rows; a larger or awkward window gets the page that holds its start."""
    for per_page in range(min(limit, 100), 101):
        page = offset // per_page
        if (offset + limit - 1) // per_page == page:
            return per_page, page + 1
    return 100, offset // 100 + 1


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
    """Queue pages and counts, one search request each (cached for `cache_seconds`)."""

    def __init__(self, session: RtSession) -> None:
        self._session = session
        self._client = session.client
        self._mapping = session.mapping
        self._config = session.config
        self._token_seen: str | None = None
        """The change token last returned: a different one drops the cached searches."""

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

    def _search(
        self, sql: str, order: list[tuple[str, str]], page: int, per_page: int, fields: str
    ) -> dict[str, Any]:
        params: list[tuple[str, str | int]] = [("query", sql)]
        params += [("orderby", name) for name, _ in order]
        params += [("order", direction) for _, direction in order]
        params += [("page", page), ("per_page", per_page), ("fields", fields)]
        cache_key = json.dumps(params)
        now = time.monotonic()
        with self._session.lock:
            hit = self._session.searches.get(cache_key)
            if hit is not None and now - hit[0] < self._config.cache_seconds:
                return hit[1]
        data = self._client.get_json("tickets", params)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise RtBadResponse(f"RT at {self._config.host} sent a search result without items")
        with self._session.lock:
            if len(self._session.searches) > 256:
                self._session.searches.clear()
            self._session.searches[cache_key] = (now, data)
        return data

    def query(self, query: Query) -> Page:
        """One page and the total: one search request with `fields=` (cached), or a few
        when the page is larger than RT's 100 rows or straddles two of RT's pages."""
        offset, limit = max(0, query.offset), max(0, query.limit)
        sql = self.ticket_sql(query)
        if sql is None:
            return Page([], 0, offset, limit)
        order = _order(query)
        rows: list[dict[str, Any]] = []
        total: int | None = None
        start, end = offset, offset + limit
        while True:
            per_page, page = _page_for(start, max(1, end - start))
            data = self._search(sql, order, page, per_page, SEARCH_FIELDS)
            total = _total(data, self._config.host)
            first = (page - 1) * per_page
            items = data["items"]
            rows.extend(items[start - first : end - first])
            start = first + len(items)
            if start >= end or len(items) < per_page or start >= total or limit == 0:
                break
        return Page([self._mapping.ticket_from(r) for r in rows[:limit]], total, offset, limit)

    def count(self, query: Query) -> int:
        sql = self.ticket_sql(query)
        if sql is None:
            return 0
        return _total(self._search(sql, [("id", "ASC")], 1, 1, "id"), self._config.host)

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
