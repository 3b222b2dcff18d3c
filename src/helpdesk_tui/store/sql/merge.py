"""Merging a duplicate into the ticket it repeats: one transaction for both tickets."""

from __future__ import annotations

import sqlalchemy as sa

from ...domain.links import LinkKind
from ...domain.model import Comment, CommentKind, Ticket
from ..base import Change, InvalidInput
from ..validation import check_fields, check_ts
from .files import FileWrite
from .links import LinkStore
from .rows import ticket_from_row
from .tables import attachments, comments


class MergeStore(LinkStore):
    """`merge`: the source's messages and files move to the target, and both changes
    (the source closed as merged, the target's note and fields) are written together,
    with a link from the one to the other that either end shows."""

    def merge(self, source: Change, target: Change) -> tuple[Ticket, Ticket]:
        """Move every comment and file of `source.key` to `target.key`, then apply both
        changes; ConflictError, and nothing written, if either ticket moved on."""
        if source.key == target.key:
            raise InvalidInput("a ticket cannot be merged into itself")
        if source.attachments or target.attachments:
            raise InvalidInput("a merge moves files; it adds none")
        with self._write_transaction() as conn:
            # Both rows locked, in id order: two merges of the same pair cannot deadlock.
            first, second = sorted((source.key, target.key))
            rows = {
                key: ticket_from_row(self._row_by_key(conn, key, lock=True))
                for key in (first, second)
            }
            old, new = rows[source.key], rows[target.key]
            assert old.id is not None and new.id is not None
            conn.execute(
                sa.update(attachments)
                .where(attachments.c.ticket_id == old.id)
                .values(ticket_id=new.id)
            )
            # Each message keeps the ticket it was written on, through merges of merges.
            conn.execute(
                sa.update(comments)
                .where(comments.c.ticket_id == old.id)
                .values(
                    ticket_id=new.id,
                    merged_from=sa.func.coalesce(comments.c.merged_from, old.key),
                )
            )
            if old.description.strip():
                # The duplicate's request is its description, not one of its messages:
                # it moves as the requester's message, at the time it was made.
                request = Comment(
                    CommentKind.REPLY,
                    old.requester_email or old.requester_name or "customer",
                    old.description,
                    old.created_at,
                    from_customer=True,
                )
                conn.execute(
                    sa.update(comments)
                    .where(comments.c.id == self._add_comment(conn, new.id, request))
                    .values(merged_from=old.key)
                )
            at = check_ts("at", source.at)
            self._insert_link(conn, old.id, LinkKind.MERGED_INTO, new.id, source.actor, at)
            none = FileWrite([])
            merged = self._store_change(conn, old, source, check_fields(source.fields), at, none)
            at = check_ts("at", target.at)
            kept = self._store_change(conn, new, target, check_fields(target.fields), at, none)
            self._refresh_search(conn, old.id)
            self._refresh_search(conn, new.id)
        return merged, kept
