"""The mail half of the SQL store (`MailQueue`): queued outgoing mail, incoming Message-IDs.

Part of SqlRepository, whose `create` and `apply` call `_insert_mail` inside their
own transactions: a ticket write and the mail it causes commit together or not at all.

Delivery state changes (held, sent, failed) are writes of their own that add a history
entry to the ticket without touching its version, as refusals do: an agent editing the
ticket never sees a conflict because a notification went out meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ..base import (
    DuplicateMail,
    InvalidInput,
    MailDirection,
    MailEntry,
    MailRecord,
    MailState,
    NotFound,
)
from ..validation import check_str, check_ts
from .tables import mail, tickets
from .transactions import SqlTransactions

_COLUMNS = (
    mail.c.id,
    mail.c.ticket_key,
    mail.c.direction,
    mail.c.kind,
    mail.c.address,
    mail.c.body,
    mail.c.params,
    mail.c.subject,
    mail.c.message_id,
    mail.c.state,
    mail.c.attempts,
    mail.c.created_at,
    mail.c.next_attempt_at,
    mail.c.sent_at,
    mail.c.last_error,
)
MAX_ERROR = 500
"""Characters of a server's error kept per attempt: enough to read, not a whole transcript."""


class MailStore(SqlTransactions):
    """`MailQueue` for SqlRepository: the mail table, in the store's transactions."""

    # -- inside create and apply -----------------------------------------------------

    def _insert_mail(
        self,
        conn: Connection,
        ticket_id: int,
        key: str,
        at: datetime,
        actor: str,
        records: Sequence[MailRecord],
        version: int,
    ) -> list[dict[str, Any]]:
        """Insert `records` for the ticket; returns their history entries."""
        if not records:
            return []
        rows = [_row(record, ticket_id, key, at) for record in records]
        for row in rows:
            if row["message_id"] is not None:
                seen = conn.execute(
                    sa.select(mail.c.ticket_key).where(mail.c.message_id == row["message_id"])
                ).scalar()
                if seen is not None:
                    raise DuplicateMail(f"{row['message_id']:.200} was taken in before ({seen})")
        try:
            conn.execute(sa.insert(mail), rows)
        except sa_exc.IntegrityError as exc:
            # PostgreSQL: another transaction took the same message in since the check.
            raise DuplicateMail("this message was taken in meanwhile") from exc
        return [
            self._entry(ticket_id, key, at, actor, event, None, detail, None, version)
            for event, detail in map(_queued_event, records)
        ]

    # -- MailQueue -------------------------------------------------------------------

    def mail_due(self, now: datetime, limit: int = 100) -> list[MailEntry]:
        """Queued outgoing mail whose next attempt is due and that nobody holds."""
        at = check_ts("now", now)
        with self._read_transaction() as conn:
            rows = conn.execute(
                sa.select(*_COLUMNS)
                .where(*_due(at))
                .order_by(mail.c.next_attempt_at, mail.c.id)
                .limit(max(0, limit))
            ).all()
        return [_mail_entry(r) for r in rows]

    def claim_mail(self, mail_id: int, now: datetime, until: datetime) -> MailEntry | None:
        """Hold one due message until `until`, counting the attempt; None if gone or held."""
        at, hold = check_ts("now", now), check_ts("until", until)
        with self._write_transaction() as conn:
            done = conn.execute(
                sa.update(mail)
                .where(mail.c.id == mail_id, *_due(at))
                .values(claimed_until=hold, attempts=mail.c.attempts + 1)
            )
            if done.rowcount != 1:
                return None
            row = conn.execute(sa.select(*_COLUMNS).where(mail.c.id == mail_id)).one()
        return _mail_entry(row)

    def mail_sent(self, mail_id: int, at: datetime, message_id: str, subject: str) -> None:
        """The held message went out: "mail:sent" on the ticket."""
        when = check_ts("at", at)
        with self._write_transaction() as conn:
            found = self._held(conn, mail_id)
            conn.execute(
                sa.update(mail)
                .where(mail.c.id == mail_id)
                .values(
                    state=MailState.SENT.value,
                    sent_at=when,
                    message_id=check_str("message_id", message_id),
                    subject=check_str("subject", subject),
                    claimed_until=None,
                    last_error=None,
                )
            )
            detail = f"{found.kind} to {found.address}: {message_id}"
            self._note(conn, found, when, "mail:sent", detail)

    def mail_failed(
        self, mail_id: int, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        """The attempt failed: queue it again for `retry_at`, or give up (None)."""
        when = check_ts("at", at)
        reason = " ".join(check_str("error", error).split())[:MAX_ERROR]
        with self._write_transaction() as conn:
            found = self._held(conn, mail_id)
            what = f"{found.kind} to {found.address}, attempt {found.attempts}: {reason}"
            values: dict[str, Any] = {"claimed_until": None, "last_error": reason}
            if retry_at is None:
                values["state"] = MailState.FAILED.value
                event, detail = "mail:undeliverable", f"{what}; given up"
            else:
                values["next_attempt_at"] = check_ts("retry_at", retry_at)
                event, detail = "mail:failed", f"{what}; next try {retry_at.isoformat()}"
            conn.execute(sa.update(mail).where(mail.c.id == mail_id).values(values))
            self._note(conn, found, when, event, detail)

    def mail_log(self, key: str) -> list[MailEntry]:
        """Every message to and from the ticket, oldest first."""
        with self._read_transaction() as conn:
            ticket_id = self._id_of(conn, key)
            rows = conn.execute(
                sa.select(*_COLUMNS).where(mail.c.ticket_id == ticket_id).order_by(mail.c.id)
            ).all()
        return [_mail_entry(r) for r in rows]

    def mail_seen(self, message_id: str) -> str | None:
        """The ticket that took in (or sent) this Message-ID, if any."""
        with self._read_transaction() as conn:
            found = conn.execute(
                sa.select(mail.c.ticket_key).where(mail.c.message_id == message_id).limit(1)
            ).scalar()
        return None if found is None else str(found)

    # -- internals -------------------------------------------------------------------

    def _held(self, conn: Connection, mail_id: int) -> MailEntry:
        row = conn.execute(sa.select(*_COLUMNS).where(mail.c.id == mail_id)).first()
        if row is None:
            raise NotFound(f"no queued mail #{mail_id}")
        entry = _mail_entry(row)
        if entry.state is not MailState.QUEUED:
            raise InvalidInput(f"mail #{mail_id} is {entry.state.value}, not queued")
        return entry

    def _note(
        self, conn: Connection, entry: MailEntry, at: datetime, event: str, detail: str
    ) -> None:
        ticket_id = conn.execute(
            sa.select(tickets.c.id).where(tickets.c.key == entry.ticket_key)
        ).scalar()
        # No version: the ticket did not change, so no conflict will ever name this entry.
        self._audit(
            conn,
            [self._entry(ticket_id, entry.ticket_key, at, "mail", event, None, detail, None, None)],
        )
        self._bump(conn)  # the history shown on screens changed


def _due(at: datetime) -> Iterator[sa.ColumnElement[bool]]:
    yield mail.c.state == MailState.QUEUED.value
    yield mail.c.next_attempt_at <= at
    yield sa.or_(mail.c.claimed_until.is_(None), mail.c.claimed_until <= at)


def _row(record: MailRecord, ticket_id: int, key: str, at: datetime) -> dict[str, Any]:
    outgoing = MailDirection(record.direction) is MailDirection.OUT
    params = {check_str("param", k): check_str("param", v) for k, v in record.params.items()}
    return {
        "ticket_id": ticket_id,
        "ticket_key": key,
        "direction": record.direction.value,
        "kind": check_str("kind", record.kind),
        "address": check_str("address", record.address),
        "subject": check_str("subject", record.subject),
        "body": check_str("body", record.body),
        "params": json.dumps(params, sort_keys=True),
        # An outgoing message gets its id when composed; incoming ones keep theirs.
        "message_id": None if outgoing else check_str("message_id", record.message_id),
        "state": (MailState.QUEUED if outgoing else MailState.RECEIVED).value,
        "attempts": 0,
        "created_at": at,
        "next_attempt_at": at if outgoing else None,
        "claimed_until": None,
        "sent_at": None,
        "last_error": None,
    }


def _queued_event(record: MailRecord) -> tuple[str, str]:
    if record.direction is MailDirection.OUT:
        return "mail:queued", f"{record.kind} to {record.address}"
    return "mail:received", f"{record.kind} from {record.address}: {record.message_id}"


def _mail_entry(r: Any) -> MailEntry:
    params: Mapping[str, str] = json.loads(r[6]) if r[6] else {}
    return MailEntry(
        id=r[0],
        ticket_key=r[1],
        direction=MailDirection(r[2]),
        kind=r[3],
        address=r[4],
        body=r[5],
        params=params,
        subject=r[7],
        message_id=r[8],
        state=MailState(r[9]),
        attempts=r[10],
        created_at=r[11],
        next_attempt_at=r[12],
        sent_at=r[13],
        last_error=r[14],
    )
