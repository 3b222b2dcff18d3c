"""Reading tickets most urgent first (domain/sla/urgency.py says what that means).

No store can sort by urgency itself: the class of a ticket depends on the instant it is
judged at, and RT's TicketSQL sorts only by stored fields. Every store can filter by
class and sort by priority then due, so a page of the urgency order is read as the
classes in order, each one a filtered query sorted by PRIORITY, and stitched: at most
one query per class, each with its own count, all judged at the same instant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..domain.model import Ticket
from ..domain.sla.urgency import Urgency
from ..store.base import Page, Query, SortKey


def class_queries(query: Query) -> list[Query]:
    """The urgency classes `query` asks for, in reading order, each as a store query
    (sorted by priority then due, without its page)."""
    assert query.as_of is not None, "the service judges urgency at its own clock"
    classes = list(Urgency) if query.urgency is None else [query.urgency]
    if query.descending:
        classes.reverse()
    return [replace(query, urgency=u, sort=SortKey.PRIORITY, offset=0) for u in classes]


def read_urgent_first(query: Query, read: Callable[[Query], Page]) -> Page:
    """One page of `query` most urgent first; `read` is the store's query.

    The classes are read in order until the page is full: each read brings its rows and
    its class's count, which places the next class. Once the page is full the classes
    after it are not read; the page's total is then one count of the whole query (on a
    million tickets, "all open" most urgent first is two reads, not four)."""
    offset, limit = max(0, query.offset), max(0, query.limit)
    tickets: list[Ticket] = []
    before = 0
    """Tickets in the classes read so far."""
    capped = False
    parts = class_queries(query)
    for index, part in enumerate(parts):
        start = max(0, offset - before)
        page = read(part.page(start, max(1, limit - len(tickets))))
        if offset + len(tickets) >= before:  # this class reaches the page
            tickets.extend(page.tickets[: limit - len(tickets)])
        before += page.total
        capped = capped or page.capped
        if len(tickets) >= limit and index + 1 < len(parts):
            whole = read(replace(query, sort=SortKey.PRIORITY, offset=0, limit=0))
            return Page(tickets, whole.total, offset, limit, whole.capped)
    # A capped class hides rows past the cap; the stitched count is capped alike.
    cap = query.count_cap
    if cap is not None and (capped or before > cap):
        return Page(tickets, min(before, cap), offset, limit, capped=True)
    return Page(tickets, before, offset, limit)


def first_claimed(query: Query, claim_in: Callable[[Query], Ticket | None]) -> Ticket | None:
    """The ticket `claim_in` takes from the most urgent class that has one."""
    for part in class_queries(query):
        taken = claim_in(part)
        if taken is not None:
            return taken
    return None
