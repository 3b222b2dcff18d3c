"""RtSession: what the parts of one RtRepository share (client, mapping, caches, locks)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..base import NotFound
from .client import RtClient
from .errors import RtBadResponse
from .mapping import TicketMapping, ref_id


@dataclass(slots=True)
class CachedTicket:
    """A ticket's JSON as RT last sent it, with the ETag to revalidate it by."""

    etag: str
    data: dict[str, Any]


class RtSession:
    """The HTTP client, the mapping of the configured RT, and the caches: tickets by
    ETag, search results for `cache_seconds`, and the ETag each version was read at."""

    def __init__(self, client: RtClient, mapping: TicketMapping) -> None:
        self.client = client
        self.mapping = mapping
        self.config = mapping.config
        self.lock = threading.RLock()
        """Guards the caches (readers run in several worker threads)."""
        self.write_lock = threading.Lock()
        """One write at a time: a write reads, checks and writes the ticket in turn."""
        self.tickets: dict[int, CachedTicket] = {}
        self.searches: dict[str, tuple[float, dict[str, Any]]] = {}
        """Search parameters (JSON) → (monotonic time asked, RT's answer)."""
        self.version_etags: dict[tuple[int, int], str] = {}
        """(ticket id, version) → the ETag that version had when it was read here: a write
        based on it with another ETag now is a conflict even at the same version."""
        self.revalidated = 0
        """How many single-ticket reads RT answered 304 Not Modified."""

    def fetch(self, ticket_id: int, fresh: bool = False) -> tuple[dict[str, Any], str]:
        """The ticket's JSON and ETag, revalidated with If-None-Match when cached."""
        cached = None if fresh else self.tickets.get(ticket_id)
        headers = {"If-None-Match": f'"{cached.etag}"'} if cached else {}
        try:
            response = self.client.request("GET", f"ticket/{ticket_id}", headers=headers)
        except NotFound:
            raise NotFound(f"no ticket {self.mapping.key(ticket_id)}") from None
        if response.status_code == 304 and cached is not None:
            self.revalidated += 1
            return cached.data, cached.etag
        data = self.client.json(response)
        if not isinstance(data, dict) or "id" not in data:
            raise RtBadResponse(f"RT at {self.config.host} sent no ticket for {ticket_id}")
        etag = response.headers.get("ETag", "").strip('"')
        queue = self.mapping.queue_names.get(int(ref_id(data.get("Queue")) or 0))
        if queue is None:
            raise NotFound(f"no ticket {self.mapping.key(ticket_id)} in the helpdesk queues")
        with self.lock:
            self.tickets[ticket_id] = CachedTicket(etag, data)
        return data, etag

    def carry_version(self, ticket_id: int, before: tuple[dict[str, Any], str]) -> None:
        """After a write of RT's own that is no change of ours (a link, a merge's moved
        messages), the ETag RT gave the ticket stands for the version it was at: an
        agent's write on that version is not a conflict. Unless it moved on meanwhile."""
        data, etag = before
        version = self.mapping.ticket_from(data).version
        data_now, etag_now = self.fetch(ticket_id, fresh=True)
        with self.lock:
            seen = self.version_etags.get((ticket_id, version))
            if self.mapping.ticket_from(data_now).version == version and seen in (None, etag):
                self.version_etags[(ticket_id, version)] = etag_now

    def forget_searches(self) -> None:
        """Drop every cached search result (after a write, or a change seen in RT)."""
        with self.lock:
            self.searches.clear()
