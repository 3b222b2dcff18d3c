"""Restoring a lossless export (store.base.TicketArchive): tickets with their comments,
files, links and history, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.links import LinkKind, TicketLink
from ...domain.model import KEY_RE, Comment
from ..base import ArchivedFile, ArchivedTicket, InvalidInput, LinkRecord, NewAttachment
from ..fields import AUDITED_FIELDS, audit_text
from ..validation import check_attachment_size, check_str, check_ts
from .bulk import BulkOperations
from .files import StagedFile
from .links import LinkStore
from .rows import INSERT_COLUMNS, KIND, ticket_from_row, ticket_params
from .tables import audit, comments, tickets, watchers
from .tables import links as ticket_links

UPDATED = "import --update"
"""The reason of the history entries an update from an import writes."""


@dataclass
class _Restore:
    """What one restore has done so far: the files to remove if it fails, the links to
    make once every ticket is in, and the highest id it kept from a key."""

    actor: str
    at: datetime
    update: bool
    staged: list[StagedFile] = field(default_factory=list)
    placed: list[Path] = field(default_factory=list)
    links: list[tuple[int, str, LinkRecord, int | None]] = field(default_factory=list)
    """(source id, source key, link, version of an updated source: None for a new one)."""
    highest: int = 0


class ArchiveStore(BulkOperations, LinkStore):
    """`link_records` and `restore` (TicketArchive)."""

    def link_records(self, key: str) -> list[LinkRecord]:
        """The links whose source is `key`, oldest first, with who made them when."""
        with self._read_transaction() as conn:
            ticket_id = self._id_of(conn, key)
            target = tickets.alias("t")
            rows = conn.execute(
                sa.select(
                    ticket_links.c.kind,
                    target.c.key,
                    ticket_links.c.created_by,
                    ticket_links.c.created_at,
                )
                .join(target, target.c.id == ticket_links.c.target_id)
                .where(ticket_links.c.source_id == ticket_id)
                .order_by(ticket_links.c.created_at, target.c.id)
            )
            return [LinkRecord(LinkKind(kind), key, by, at) for kind, key, by, at in rows]

    def restore(
        self, tickets: Iterable[ArchivedTicket], *, update: bool, actor: str, at: datetime
    ) -> int:
        """See TicketArchive.restore: all or nothing, files included."""
        job = _Restore(check_str("actor", actor), check_ts("at", at), update)
        count = 0
        try:
            with self._write_transaction() as conn:
                for item in tickets:
                    self._restore_one(conn, item, job)
                    count += 1
                for source_id, source_key, link, version in job.links:
                    self._restore_link(conn, source_id, source_key, link, version, job)
                if count:
                    self._reserve_ids(conn, job.highest)
                    entry = self._entry(
                        None,
                        None,
                        job.at,
                        job.actor,
                        "import",
                        None,
                        f"{count} tickets",
                        None,
                        None,
                    )
                    self._audit(conn, [entry])
                    self._bump(conn)
        except BaseException:
            # Rolled back: the files it stored go too (the staged ones are removed below).
            for path in job.placed:
                with suppress(OSError):
                    path.unlink()
            raise
        finally:
            for staged in job.staged:
                if staged.held is not None:
                    with suppress(OSError):
                        staged.held.close()
                with suppress(OSError):
                    staged.temp.unlink()
        return count

    def _restore_one(self, conn: Connection, item: ArchivedTicket, job: _Restore) -> None:
        ticket = item.ticket
        key = check_str("key", ticket.key)
        if self._key_taken(conn, key):
            if not job.update:
                raise InvalidInput(f"key {key} is already in the store")
            self._update_one(conn, item, job)
            return
        ticket_id = self._free_id(conn, key, job)
        self._insert_tickets(conn, [ticket_params(ticket, ticket_id, key, self._ts_param)])
        for comment, files in item.comments:
            self._restore_comment(conn, ticket_id, comment, files, job)
        self._refresh_search(conn, ticket_id)
        if item.history:
            conn.execute(
                sa.insert(audit),
                [
                    {
                        "ticket_id": ticket_id,
                        "ticket_key": key,
                        "at": check_ts("at", e.at),
                        "actor": check_str("actor", e.actor),
                        "field": check_str("field", e.field),
                        "old": e.old,
                        "new": e.new,
                        "reason": e.reason,
                        "version": e.version,
                        "login": e.login,
                    }
                    for e in item.history
                ],
            )
        job.links.extend((ticket_id, key, link, None) for link in item.links)

    def _free_id(self, conn: Connection, key: str, job: _Restore) -> int:
        """The number of a key with this store's prefix (HD-17 is id 17) when no ticket
        has it; otherwise the next free id."""
        match = KEY_RE.fullmatch(key)
        if match and match["prefix"] == self._prefix:
            own = int(match["number"])
            if conn.execute(sa.select(tickets.c.id).where(tickets.c.id == own)).first() is None:
                job.highest = max(job.highest, own)
                return own
        new_id = self._next_id(conn)
        # PostgreSQL's sequence knows nothing of the ids kept from keys.
        while conn.execute(sa.select(tickets.c.id).where(tickets.c.id == new_id)).first():
            new_id = new_id + 1 if self._sqlite else self._next_id(conn)
        job.highest = max(job.highest, new_id)
        return new_id

    def _restore_comment(
        self,
        conn: Connection,
        ticket_id: int,
        comment: Comment,
        files: Iterable[ArchivedFile],
        job: _Restore,
    ) -> int:
        comment_id = self._add_comment(conn, ticket_id, comment)
        if comment.merged_from is not None:
            conn.execute(
                sa.update(comments)
                .where(comments.c.id == comment_id)
                .values(merged_from=check_str("merged_from", comment.merged_from))
            )
        for file in files:
            self._restore_file(conn, ticket_id, comment_id, file, job)
        return comment_id

    def _restore_file(
        self, conn: Connection, ticket_id: int, comment_id: int, file: ArchivedFile, job: _Restore
    ) -> int:
        check_attachment_size(file.filename, file.size)
        content_type = check_str("content_type", file.content_type)
        [staged] = self._stage_attachments(
            [NewAttachment(check_str("filename", file.filename), file.path, content_type)]
        )
        job.staged.append(staged)
        if staged.size != file.size or staged.sha256 != file.sha256:
            raise InvalidInput(f"{file.filename}: its content does not match its size and sha256")
        at = check_ts("created_at", file.created_at or job.at)
        attachment_id, target = self._store_attachment(
            conn, ticket_id, comment_id, staged, file.uploaded_by, at
        )
        job.placed.append(target)
        return attachment_id

    def _update_one(self, conn: Connection, item: ArchivedTicket, job: _Restore) -> None:
        """`--update`: the archived fields over the stored ones, the comments the ticket
        lacks appended, each change in its history."""
        current = ticket_from_row(self._row_by_key(conn, item.ticket.key, lock=True))
        assert current.id is not None
        had = {_same(c) for c in self._stored_comments(conn, current.id)}
        thread = [(c, files) for c, files in item.comments if _same(c) not in had]
        as_stored = replace(item.ticket, id=current.id, key=current.key, version=current.version)
        if as_stored == current and not thread:
            # Nothing to change: an update run twice writes nothing the second time.
            job.links.extend((current.id, current.key, x, current.version) for x in item.links)
            return
        version = max(current.version, item.ticket.version) + 1
        new = replace(item.ticket, id=current.id, key=current.key, version=version)
        row = dict(
            zip(
                INSERT_COLUMNS,
                ticket_params(new, current.id, current.key, self._ts_param),
                strict=True,
            )
        )
        del row["id"], row["key"]
        sets = ", ".join(
            f"{name} = (? <> 0)" if name == "is_active" else f"{name} = ?" for name in row
        )
        conn.exec_driver_sql(
            self._raw(f"UPDATE tickets SET {sets} WHERE id = ?"), (*row.values(), current.id)
        )
        if new.watchers != current.watchers:
            conn.execute(sa.delete(watchers).where(watchers.c.ticket_id == current.id))
            if new.watchers:
                conn.execute(
                    sa.insert(watchers),
                    [{"ticket_id": current.id, "username": u} for u in dict.fromkeys(new.watchers)],
                )

        def entry(name: str, old: str | None, value: str | None) -> dict[str, Any]:
            return self._entry(
                current.id, current.key, job.at, job.actor, name, old, value, UPDATED, version
            )

        entries = [
            entry(name, audit_text(getattr(current, name)), audit_text(getattr(new, name)))
            for name in sorted(AUDITED_FIELDS)
            if getattr(current, name) != getattr(new, name)
        ]
        for comment, files in thread:
            comment_id = self._restore_comment(conn, current.id, comment, files, job)
            entries.append(entry(KIND[comment.kind].value, None, str(comment_id)))
        self._audit(conn, entries)
        self._refresh_search(conn, current.id)
        job.links.extend((current.id, current.key, link, version) for link in item.links)

    def _stored_comments(self, conn: Connection, ticket_id: int) -> list[Comment]:
        c = comments.c
        rows = conn.execute(
            sa.select(c.kind, c.author, c.body, c.created_at).where(c.ticket_id == ticket_id)
        )
        return [Comment(KIND[kind], author, body, when) for kind, author, body, when in rows]

    def _restore_link(
        self,
        conn: Connection,
        source_id: int,
        source_key: str,
        link: LinkRecord,
        version: int | None,
        job: _Restore,
    ) -> None:
        kind = LinkKind(link.kind)
        found = conn.execute(
            sa.select(tickets.c.id, tickets.c.key).where(tickets.c.key == link.target)
        ).first()
        if found is None:
            raise InvalidInput(
                f"{source_key} links to {link.target}, which is neither imported nor in the store"
            )
        target_id = int(found[0])
        linked = self._linked(conn, source_id, target_id)
        if linked is not None:
            if version is not None and linked == (source_id, kind, target_id):
                return  # an updated ticket has this link already
            raise InvalidInput(f"{source_key} and {link.target} are linked already")
        at = job.at if link.created_at is None else check_ts("created_at", link.created_at)
        self._insert_link(conn, source_id, kind, target_id, link.created_by or job.actor, at)
        if version is None:
            return  # a restored ticket's history has the entries already
        made = TicketLink(source_key, kind, str(found[1]))
        self._audit(
            conn,
            [
                self._entry(
                    ticket_id,
                    key,
                    job.at,
                    job.actor,
                    "link",
                    None,
                    f"{made.relation(key)} {made.other(key)}",
                    UPDATED,
                    None,
                )
                for ticket_id, key in ((source_id, source_key), (target_id, made.target))
            ],
        )


def _same(comment: Comment) -> tuple[str, str, str, datetime]:
    """What makes two comments the same one: kind, author, text and time."""
    return (
        KIND[comment.kind].value,
        comment.author,
        comment.body,
        check_ts("at", comment.created_at),
    )
