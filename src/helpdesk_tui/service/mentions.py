"""Where an agent was called in: the notes that @mention them, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.access import Action, can
from ..domain.model import AuditEntry, Ticket
from ..store.base import NotFound
from .core import ServiceCore


@dataclass(frozen=True, slots=True)
class Mention:
    """A note that named me: who, when, and the ticket as I may see it now."""

    entry: AuditEntry
    ticket: Ticket


class MentionUseCases(ServiceCore):
    def mentions_of_me(self, since: datetime | None = None, limit: int = 50) -> list[Mention]:
        """The notes that called me in (after `since` when given), newest first, on the
        tickets I may see. Unsupported (a StoreError) on a store that cannot list them."""
        found: list[Mention] = []
        for entry in self._repo.mentions(self.me.username, since, limit):
            try:
                ticket = self._repo.get(entry.ticket_key)
            except NotFound:
                continue  # purged since, or out of this login's sight
            if can(self.me, Action.VIEW, ticket):
                found.append(Mention(entry, ticket))
        return found
