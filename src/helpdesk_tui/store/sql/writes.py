"""Writing tickets: create, apply a change, claim the next ticket, audit a refusal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.model import Comment, CommentKind, Ticket
from ..base import REFUSED, Change, ConflictError, InvalidInput, MailRecord, NewAttachment, Query
from ..fields import AUDITED_FIELDS, audit_text
from ..validation import (
    FIELD_KINDS,
    check_comment_minutes,
    check_fields,
    check_str,
    check_ts,
)
from .column_types import SEARCH_VECTOR
from .files import AttachmentFiles, FileWrite
from .outbox import MailStore
from .queries import TicketQueries
from .rows import (
    INSERT_COLUMNS,
    INSERT_MARKS,
    KIND,
    SELECT_TICKET,
    column_values,
    spellings,
    ticket_from_row,
    ticket_params,
)
from .search import search_text
from .tables import audit, comments, tickets, watchers


class TicketWrites(TicketQueries, AttachmentFiles, MailStore):
    """The protocol's ticket writes, each one transaction."""

    # -- protocol: writing tickets ---------------------------------------------------

    def _insert_tickets(
        self, conn: Connection, rows: list[tuple[Any, ...]], texts: list[str] | None = None
    ) -> None:
        """Raw executemany of ticket rows (from `ticket_params`) and their watchers.

        PostgreSQL indexes the text in the same statement (`texts`: each ticket's comment
        text); SQLite's FTS table is filled by the caller (`_refresh_search`, or in bulk).
        """
        columns = ", ".join(INSERT_COLUMNS)
        if self._sqlite:
            marks = INSERT_MARKS
            conn.exec_driver_sql(f"INSERT INTO tickets ({columns}) VALUES ({marks})", rows)
        else:
            marks = INSERT_MARKS.replace("?", "%s")
            bodies = texts or [""] * len(rows)
            conn.exec_driver_sql(
                f"INSERT INTO tickets ({columns}, {SEARCH_VECTOR}) VALUES ({marks},"
                " to_tsvector('simple', %s))",
                [(*r, search_text(r[2], r[3], text)) for r, text in zip(rows, bodies, strict=True)],
            )
        pairs = [(r[0], name) for r in rows if r[13] != "[]" for name in json.loads(r[13])]
        if pairs:
            conn.exec_driver_sql(
                self._raw("INSERT INTO ticket_watchers (ticket_id, username) VALUES (?, ?)"),
                pairs,
            )

    def _next_id(self, conn: Connection) -> int:
        if self._sqlite:
            # Under BEGIN IMMEDIATE nobody else can take this id before we insert it.
            return int(
                conn.exec_driver_sql(
                    "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name ="
                    " 'tickets'), 0), COALESCE((SELECT max(id) FROM tickets), 0)) + 1"
                ).scalar_one()
            )
        return int(
            conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('tickets', 'id'))"
            ).scalar_one()
        )

    def _key_taken(self, conn: Connection, key: str) -> bool:
        return conn.execute(sa.select(tickets.c.id).where(tickets.c.key == key)).first() is not None

    def _add_comment(self, conn: Connection, ticket_id: int, comment: Comment) -> int:
        if not isinstance(comment.kind, CommentKind) and comment.kind not in KIND:
            raise InvalidInput(f"a comment cannot be of kind {comment.kind!r:.40}")
        result = conn.execute(
            sa.insert(comments).values(
                ticket_id=ticket_id,
                kind=KIND[comment.kind].value,
                author=check_str("author", comment.author),
                body=check_str("body", comment.body),
                created_at=check_ts("created_at", comment.created_at),
                from_customer=bool(comment.from_customer),
                minutes=check_comment_minutes(comment.minutes),
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def create(
        self,
        ticket: Ticket,
        actor: str,
        comment: Comment | None = None,
        *,
        attachments: Sequence[NewAttachment] = (),
        mail: Sequence[MailRecord] = (),
    ) -> Ticket:
        """Store a new ticket as version 1 with the next id and key, a "created" entry,
        the optional first comment (with `attachments`), its search entry, and `mail`."""
        if attachments and comment is None:
            raise InvalidInput("files of a new ticket go with its first comment")
        with self._files(attachments) as files, self._write_transaction() as conn:
            return self._insert_new(conn, ticket, actor, comment, files, mail)

    def _insert_new(
        self,
        conn: Connection,
        ticket: Ticket,
        actor: str,
        comment: Comment | None,
        files: FileWrite,
        mail: Sequence[MailRecord],
    ) -> Ticket:
        new_id = self._next_id(conn)
        key = f"{self._prefix}-{new_id}"
        while self._key_taken(conn, key):  # only after imports that kept foreign ids
            new_id = self._next_id(conn) if not self._sqlite else new_id + 1
            key = f"{self._prefix}-{new_id}"
        row = self._ticket_row(ticket, new_id, key, version=1)
        body = ""
        entries = [
            self._entry(
                new_id, key, ticket.created_at, actor, "created", None, ticket.subject, None, 1
            )
        ]
        self._insert_tickets(conn, [row])
        if comment is not None:
            comment_id = self._add_comment(conn, new_id, comment)
            body = comment.body
            entries.append(
                self._entry(
                    new_id,
                    key,
                    comment.created_at,
                    actor,
                    KIND[comment.kind].value,
                    None,
                    str(comment_id),
                    None,
                    1,
                )
            )
            entries += self._store_files(
                conn,
                files,
                new_id,
                comment_id,
                actor,
                comment.created_at,
                lambda name, old, new: self._entry(
                    new_id, key, comment.created_at, actor, name, old, new, None, 1
                ),
            )
        entries += self._insert_mail(conn, new_id, key, ticket.created_at, actor, mail, 1)
        if self._sqlite or body:
            self._refresh_search(conn, new_id)
        self._audit(conn, entries)
        self._bump(conn)
        return ticket_from_row(self._row_by_key(conn, key))

    def _ticket_row(self, ticket: Ticket, id_: int, key: str, version: int) -> tuple[Any, ...]:
        # The same checks (and spellings: "" for nobody is None) as a Change gets.
        checked = check_fields({name: getattr(ticket, name) for name in FIELD_KINDS})
        checked["created_at"] = check_ts("created_at", ticket.created_at)
        return ticket_params(replace(ticket, **checked, version=version), id_, key, self._ts_param)

    def apply(self, change: Change) -> Ticket:
        """Apply one change atomically; ConflictError (nothing written) on a stale base.

        Writes the changed values, bumps the version, sets updated_at, writes one audit
        entry per changed user-visible field plus the comment, attachments and events,
        and refreshes the search entry — in one transaction.
        """
        updates = check_fields(change.fields)
        at = check_ts("at", change.at)
        with self._files(change.attachments) as files, self._write_transaction() as conn:
            current = ticket_from_row(self._row_by_key(conn, change.key, lock=True))
            return self._store_change(conn, current, change, updates, at, files)

    def _store_change(
        self,
        conn: Connection,
        current: Ticket,
        change: Change,
        updates: dict[str, Any],
        at: datetime,
        files: FileWrite,
    ) -> Ticket:
        """The heart of `apply` and `claim_next`, on a ticket row this transaction holds
        locked: check the version, write the values, audit entries, comment, files and
        events, and return the ticket as written."""
        assert current.id is not None
        if current.version != change.base_version:
            raise self._conflict(conn, current, change.base_version)
        diffs = {n: v for n, v in updates.items() if getattr(current, n) != v}
        diffs.pop("updated_at", None)  # always change.at: the write's own time
        if not (diffs or change.comment or files.staged or change.events or change.mail):
            return current
        version = current.version + 1
        values: dict[str, Any] = {"version": version, "updated_at": at}
        for name, value in diffs.items():
            values.update(column_values(name, value))
        done = conn.execute(
            sa.update(tickets)
            .where(tickets.c.id == current.id, tickets.c.version == current.version)
            .values(values)
        )
        if done.rowcount != 1:  # cannot happen while we hold the lock; never guess
            raise self._conflict(conn, current, change.base_version)

        def entry(name: str, old: str | None, new: str | None) -> dict[str, Any]:
            return self._entry(
                current.id,
                current.key,
                at,
                change.actor,
                name,
                old,
                new,
                change.reason,
                version,
            )

        entries = [
            entry(n, audit_text(getattr(current, n)), audit_text(v))
            for n, v in diffs.items()
            if n in AUDITED_FIELDS
        ]
        if "watchers" in diffs:
            conn.execute(sa.delete(watchers).where(watchers.c.ticket_id == current.id))
            if diffs["watchers"]:
                conn.execute(
                    sa.insert(watchers),
                    [{"ticket_id": current.id, "username": u} for u in diffs["watchers"]],
                )
        comment_id: int | None = None
        if change.comment is not None:
            comment_id = self._add_comment(conn, current.id, change.comment)
            entries.append(entry(KIND[change.comment.kind].value, None, str(comment_id)))
        entries += self._store_files(conn, files, current.id, comment_id, change.actor, at, entry)
        for name, detail in change.events:
            text = None if detail is None else str(detail)
            entries.append(entry(check_str("event", name), None, text))
        entries += self._insert_mail(
            conn, current.id, current.key, at, change.actor, change.mail, version
        )
        self._audit(conn, entries)
        if change.comment is not None or "subject" in diffs or "description" in diffs:
            self._refresh_search(conn, current.id)
        self._bump(conn)
        return replace(current, **diffs, version=version, updated_at=at)

    def claim_next(self, query: Query, claim: Callable[[Ticket], Change | None]) -> Ticket | None:
        """Take the first ticket of `query` that `claim` accepts, in one write transaction.

        PostgreSQL reads each candidate with SELECT ... FOR UPDATE SKIP LOCKED: claims
        running at once pass over each other's rows instead of queueing behind them, and
        a row another claim took meanwhile no longer matches its filters. SQLite begins
        with BEGIN IMMEDIATE: claims take turns on the write lock, each seeing the ones
        before it. `claim` runs while the lock is held, so it must be in-memory rules
        only, and say no by returning None (an exception rolls the claim back).
        """
        where = self._filter(query)
        if where is None:
            return None
        passed: list[int] = []  # candidates `claim` said no to
        with self._write_transaction() as conn:
            while True:
                stmt = SELECT_TICKET.where(*where.terms())
                if passed:
                    stmt = stmt.where(tickets.c.id.not_in(passed))
                stmt = stmt.order_by(*self._order_by(query)).limit(1)
                row = conn.execute(stmt.with_for_update(skip_locked=True)).first()
                if row is None:
                    return None
                current = ticket_from_row(row)
                assert current.id is not None
                change = claim(current)
                if change is None:
                    passed.append(current.id)
                    continue
                if change.key != current.key or change.attachments:
                    # Files are copied in before a write's lock is taken (see `apply`).
                    raise InvalidInput("a claim changes the claimed ticket, without files")
                updates = check_fields(change.fields)
                at = check_ts("at", change.at)
                return self._store_change(conn, current, change, updates, at, FileWrite([]))

    def record_refusal(
        self, actor: str, action: str, key: str | None, reason: str, at: datetime
    ) -> None:
        """Audit a refused action as a "refused:<action>" entry holding the reason.

        A write of its own: the refused change never happened. No version, as the
        ticket did not change (and so a conflict never lists a refusal among the changes
        made since); no change counter bump, for the same reason.
        """
        entry = self._entry(
            None,
            None,
            check_ts("at", at),
            check_str("actor", actor),
            REFUSED + check_str("action", action),
            None,
            None,
            check_str("reason", reason),
            None,
        )
        with self._write_transaction() as conn:
            if key is not None:
                found = conn.execute(
                    sa.select(tickets.c.id, tickets.c.key)
                    .where(tickets.c.key.in_(spellings(key)))
                    .limit(1)
                ).first()
                entry["ticket_id"], entry["ticket_key"] = found or (None, key.strip())
            self._audit(conn, [entry])

    def _conflict(self, conn: Connection, current: Ticket, base: int) -> ConflictError:
        changed = conn.execute(
            sa.select(audit.c.field)
            .where(audit.c.ticket_key == current.key, audit.c.version > base)
            .order_by(audit.c.id)
        ).scalars()
        return ConflictError(current.key, base, current, [f for f in changed if f != "created"])
