"""Links between tickets: one row per link, read from either end (domain/links.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.links import EDITABLE, LinkKind, TicketLink
from ..base import InvalidInput
from ..validation import check_str, check_ts
from .tables import links as ticket_links
from .tables import tickets
from .writes import TicketWrites


class LinkStore(TicketWrites):
    """`links`, `add_link` and `remove_link`. A link is not a field of either ticket:
    neither version changes (an agent's open edit is not made a conflict by somebody
    linking the ticket), but both histories say who linked what, and when."""

    def links(self, key: str) -> list[TicketLink]:
        """The ticket's links, both ways, oldest first."""
        with self._read_transaction() as conn:
            ticket_id = self._id_of(conn, key)
            source, target = tickets.alias("s"), tickets.alias("t")
            rows = conn.execute(
                sa.select(source.c.key, ticket_links.c.kind, target.c.key)
                .join(source, source.c.id == ticket_links.c.source_id)
                .join(target, target.c.id == ticket_links.c.target_id)
                .where(
                    sa.or_(
                        ticket_links.c.source_id == ticket_id,
                        ticket_links.c.target_id == ticket_id,
                    )
                )
                .order_by(ticket_links.c.created_at, target.c.id, source.c.id)
            )
            return [TicketLink(s, LinkKind(kind), t) for s, kind, t in rows]

    def add_link(self, link: TicketLink, actor: str, at: datetime) -> None:
        """Store `link`; InvalidInput, and nothing written, when the two tickets are
        linked so already (a "relates" link either way round)."""
        if not LinkKind(link.kind).editable:
            raise InvalidInput(f"a {link.kind} link is made by its own action, not as a link")
        when = check_ts("at", at)
        with self._write_transaction() as conn:
            one, two = self._id_of(conn, link.source), self._id_of(conn, link.target)
            if one == two:
                raise InvalidInput(f"a ticket cannot be linked to itself ({link.source})")
            if self._linked(conn, one, two) is not None:
                raise InvalidInput(f"{link.source} and {link.target} are linked already")
            self._insert_link(conn, one, link.kind, two, actor, when)
            self._link_entries(conn, (one, two), link, actor, when, added=True)

    def remove_link(self, link: TicketLink, actor: str, at: datetime) -> None:
        """Remove `link` (either way round for "relates"); InvalidInput if there is none."""
        when = check_ts("at", at)
        with self._write_transaction() as conn:
            one, two = self._id_of(conn, link.source), self._id_of(conn, link.target)
            found = self._linked(conn, one, two)
            backwards = found is not None and found[0] != one
            if found is None or found[1] != link.kind or (backwards and not _either_way(link)):
                raise InvalidInput(
                    f"{link.source} is not {link.relation(link.source)} {link.target}"
                )
            source_id, _, target_id = found
            conn.execute(
                sa.delete(ticket_links).where(
                    ticket_links.c.source_id == source_id,
                    ticket_links.c.kind == link.kind.value,
                    ticket_links.c.target_id == target_id,
                )
            )
            self._link_entries(conn, (one, two), link, actor, when, added=False)

    def _linked(self, conn: Connection, one: int, two: int) -> tuple[int, LinkKind, int] | None:
        """The link a person made between two tickets, either way round: two tickets have
        one at most (a merge's own link aside)."""
        row = conn.execute(
            sa.select(ticket_links.c.source_id, ticket_links.c.kind, ticket_links.c.target_id)
            .where(
                sa.or_(
                    sa.and_(ticket_links.c.source_id == one, ticket_links.c.target_id == two),
                    sa.and_(ticket_links.c.source_id == two, ticket_links.c.target_id == one),
                ),
                ticket_links.c.kind.in_([kind.value for kind in EDITABLE]),
            )
            .limit(1)
        ).first()
        return None if row is None else (row[0], LinkKind(row[1]), row[2])

    def _insert_link(
        self, conn: Connection, one: int, kind: LinkKind, two: int, actor: str, at: datetime
    ) -> None:
        conn.execute(
            sa.insert(ticket_links).values(
                source_id=one,
                kind=LinkKind(kind).value,
                target_id=two,
                created_by=check_str("actor", actor),
                created_at=at,
            )
        )

    def _link_entries(
        self,
        conn: Connection,
        ids: tuple[int, int],
        link: TicketLink,
        actor: str,
        at: datetime,
        *,
        added: bool,
    ) -> None:
        # No version: neither ticket changed, so no conflict will ever name these entries.
        entries = []
        actor = check_str("actor", actor)
        for ticket_id, key in zip(ids, (link.source, link.target), strict=True):
            text = f"{link.relation(key)} {link.other(key)}"
            old, new = (None, text) if added else (text, None)
            entries.append(self._entry(ticket_id, key, at, actor, "link", old, new, None, None))
        self._audit(conn, entries)
        self._bump(conn)


def _either_way(link: TicketLink) -> bool:
    return LinkKind(link.kind) is LinkKind.RELATES
