"""TicketHistory: RT's transactions read back as our comments and audit entries.

A write of ours records itself in "Helpdesk state" (who, why, which fields, which RT
fields it set); RT's own transactions that such a write made are covered by that record,
and the rest (RT's web UI, mail, scrips) is mapped to our fields.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...domain.model import AuditEntry, Comment, CommentKind, Status, TicketType
from ..base import StoreError, TimeSpent
from .files import BODY_PARTS, FILE_TROUBLE, AttachmentFiles, as_kept_by_rt, message_files
from .mapping import (
    CF_FOR_FIELD,
    CUSTOM_FIELDS,
    custom_field_values,
    epoch,
    json_object,
    priority_from,
    ref_id,
    rt_date,
)
from .search import sql_date, sql_str
from .session import RtSession


@dataclass(slots=True)
class WriteRecord:
    """What one write of ours recorded in "Helpdesk state" (for the history)."""

    version: int
    actor: str
    reason: str | None
    entries: list[tuple[str, str | None, str | None]]
    events: list[tuple[str, str | None]]
    comment: str | None
    comment_author: str | None = None
    from_customer: bool = False
    rt_fields: tuple[str, ...] = ()
    files: tuple[tuple[str, int, str, str], ...] = ()
    """(name, size, sha256, content type) of each file the write's message carried."""


def _status_text(mapping: Mapping[str, Status], value: object) -> str | None:
    if value is None:
        return None
    status = mapping.get(str(value))
    return status.value if status else str(value)


def _priority_text(value: object) -> str | None:
    return None if value is None else priority_from(value).value


def _write_entries(
    ticket_key: str, at: datetime, txn_id: int, write: WriteRecord
) -> list[AuditEntry]:
    """The audit entries a write of ours recorded: the fields it changed, then its events."""
    changed: list[tuple[str, str | None, str | None]] = list(write.entries)
    changed += [(name, None, detail) for name, detail in write.events]
    return [
        AuditEntry(ticket_key, at, write.actor, name, old, new, write.reason, write.version, txn_id)
        for name, old, new in changed
    ]


class TicketHistory:
    """A ticket's replies and notes, and its audit trail, from RT's transactions."""

    def __init__(self, session: RtSession, files: AttachmentFiles) -> None:
        self._session = session
        self._client = session.client
        self._mapping = session.mapping
        self._config = session.config
        self._files = files
        self._user_names: dict[str, str] = {}
        """RT user id → user name, as RT answered."""

    def _transactions(self, ticket_id: int) -> list[dict[str, Any]]:
        self._session.fetch(ticket_id)  # NotFound outside the helpdesk queues
        return list(
            self._client.items(
                f"ticket/{ticket_id}/history",
                {
                    "fields": "Type,Field,OldValue,NewValue,Data,Creator,Created,ObjectType,"
                    "ObjectId,TimeTaken"
                },
            )
        )

    def _message_bodies(self, ticket_id: int) -> dict[int, str]:
        """The text of each transaction's message, by transaction id. Only unnamed
        text/plain parts are asked for: the contents of files stay on RT."""
        bodies: dict[int, str] = {}
        for item in self._client.items(
            f"ticket/{ticket_id}/attachments",
            {"fields": "TransactionId,Content", "query": BODY_PARTS, "orderby": "id"},
        ):
            txn = ref_id(item.get("TransactionId"))
            text = item.get("Content")
            if txn is not None and isinstance(text, str):
                bodies.setdefault(int(txn), text)
        return bodies

    def comments(self, key: str) -> list[Comment]:
        """Replies and notes, oldest first, each with the files RT keeps in its message."""
        ticket_id = self._mapping.id_of(key)
        transactions = self._transactions(ticket_id)
        data, _ = self._session.fetch(ticket_id)
        requestors = {ref_id(r) for r in data.get("Requestor") or []}
        bodies = self._message_bodies(ticket_id)
        files = self._files.listing(ticket_id)
        state = json_object(custom_field_values(data).get(CUSTOM_FIELDS["state"]))
        created_by = state.get("created_by")
        found: list[Comment] = []
        pending: WriteRecord | None = None  # the write of ours that announced the next message
        pending_user = ""  # the RT user who made it
        for txn in transactions:
            kind = txn.get("Type")
            creator = ref_id(txn.get("Creator")) or ""
            if kind == "Create":
                pending = None
                if created_by:
                    pending = WriteRecord(1, str(created_by), None, [], [], "note")
                    pending.comment_author = state.get("first_author")
                    pending.from_customer = bool(state.get("first_from_customer"))
                pending_user = creator
                continue
            write = self.write_record(txn)
            if write is not None:
                pending, pending_user = (write if write.comment else None), creator
                continue
            if kind in FILE_TROUBLE and found:  # RT did not keep a file of that message whole
                found[-1] = as_kept_by_rt(found[-1], txn)
                continue
            if kind not in ("Correspond", "Comment"):
                continue
            author, from_customer = creator, creator in requestors
            recorded: tuple[tuple[str, int, str, str], ...] = ()
            if pending is not None and pending_user == creator:
                author = pending.comment_author or pending.actor
                from_customer, recorded = pending.from_customer, pending.files
            pending = None
            txn_id, at = int(txn["id"]), rt_date(txn.get("Created")) or epoch()
            found.append(
                Comment(
                    kind=CommentKind.REPLY if kind == "Correspond" else CommentKind.NOTE,
                    author=author,
                    body=bodies.get(txn_id, "").rstrip("\n"),
                    created_at=at,
                    from_customer=from_customer,
                    attachments=message_files(files.get(txn_id, []), recorded, txn_id, author, at),
                    id=txn_id,
                    merged_from=_merged_from(txn, ticket_id, self._mapping.key),
                    minutes=_minutes(txn.get("TimeTaken")),
                )
            )
        return found

    def time_spent(
        self, since: datetime, until: datetime, organizations: frozenset[str] | None = None
    ) -> TimeSpent:
        """The period's recorded minutes by author, organization and type.

        RT sums a ticket's TimeWorked itself, but neither by author nor by period: one
        TransactionSQL search finds the period's timed replies and notes, and each ticket
        they are on is read once, its messages naming their authors as `comments` does.
        The cost follows the tickets worked on in the period, not the queues' size."""
        if organizations is not None and not organizations:
            return TimeSpent()
        queues = " OR ".join(f"TicketQueue = {sql_str(n)}" for n in self._mapping.queue_ids)
        sql = (
            "ObjectType = 'RT::Ticket' AND (Type = 'Correspond' OR Type = 'Comment')"
            f" AND TimeTaken > 0 AND Created >= {sql_str(sql_date(since))}"
            f" AND Created < {sql_str(sql_date(until))} AND ({queues})"
        )
        found: dict[int, set[int]] = {}  # ticket id → the period's timed transactions on it
        for item in self._client.items("transactions", {"query": sql, "fields": "ObjectId"}):
            written_on = ref_id(item.get("ObjectId"))
            if written_on is not None and written_on.isdigit() and "id" in item:
                found.setdefault(int(written_on), set()).add(int(item["id"]))
        by_agent: Counter[str] = Counter()
        by_organization: Counter[str | None] = Counter()
        by_type: Counter[TicketType] = Counter()
        read: set[int] = set()
        wanted = {txn for txns in found.values() for txn in txns}
        for ticket_id in found:
            data, _ = self._session.fetch(ticket_id)
            ticket = self._mapping.ticket_from(data)
            # A merged ticket's messages are read on the ticket RT merged it into.
            if ticket.id in read:
                continue
            read.add(ticket.id or ticket_id)
            if organizations is not None and ticket.organization not in organizations:
                continue
            for comment in self.comments(ticket.key):
                if comment.id in wanted and comment.minutes:
                    by_agent[comment.author] += comment.minutes
                    by_organization[ticket.organization] += comment.minutes
                    by_type[ticket.type] += comment.minutes
        return TimeSpent(dict(by_agent), dict(by_organization), dict(by_type))

    def write_record(self, txn: Mapping[str, Any]) -> WriteRecord | None:
        """Our write's record, if this transaction set "Helpdesk state" with one."""
        if txn.get("Type") != "CustomField":
            return None
        if str(txn.get("Field")) != str(self._mapping.cf_ids.get(CUSTOM_FIELDS["state"])):
            return None
        try:
            state = json.loads(str(txn.get("NewValue") or "{}"))
            write = state.get("write")
            if not isinstance(write, dict):
                return None
            return WriteRecord(
                version=int(state.get("version", 1)),
                actor=str(write.get("actor", "")),
                reason=write.get("reason"),
                entries=[(str(f), o, n) for f, o, n in write.get("entries", [])],
                events=[(str(n), d) for n, d in write.get("events", [])],
                comment=write.get("comment"),
                comment_author=write.get("author"),
                from_customer=bool(write.get("from_customer")),
                rt_fields=tuple(str(f) for f in write.get("rt", [])),
                files=tuple(
                    (str(name), int(size), str(sha), str(kind))
                    for name, size, sha, kind in write.get("files", [])
                ),
            )
        except (ValueError, TypeError, AttributeError):
            return None

    def history(self, key: str) -> list[AuditEntry]:
        """Our writes as they recorded themselves, RT's own transactions (from RT's web UI,
        mail, scrips) mapped to our fields, and every reply and note."""
        ticket_id = self._mapping.id_of(key)
        transactions = self._transactions(ticket_id)
        ticket_key = self._mapping.key(ticket_id)
        entries: list[AuditEntry] = []
        version = 1
        covered = self._covered(transactions)
        pending: tuple[str, WriteRecord] | None = None  # (RT user, write) announcing a message
        files: dict[int, list[dict[str, Any]]] | None = None  # asked for when a write sent some
        cf_names = {str(v): k for k, v in self._mapping.cf_ids.items()}
        for txn in transactions:
            kind = str(txn.get("Type", ""))
            at = rt_date(txn.get("Created")) or epoch()
            creator = ref_id(txn.get("Creator")) or ""
            txn_id = int(txn["id"])
            if kind == "Create":
                created_by, subject = self._created_info(ticket_id, transactions)
                made_by = created_by or creator
                entries.append(
                    AuditEntry(ticket_key, at, made_by, "created", None, subject, None, 1, txn_id)
                )
                if created_by:
                    pending = (creator, WriteRecord(1, created_by, None, [], [], "note"))
                continue
            write = self.write_record(txn)
            if write is not None:
                version = write.version
                pending = (creator, write) if write.comment else None
                entries += _write_entries(ticket_key, at, txn_id, write)
                continue
            if kind in ("Correspond", "Comment"):
                ours = pending[1] if pending is not None and pending[0] == creator else None
                pending = None
                actor, reason = (ours.actor, ours.reason) if ours else (creator, None)
                said = [("reply" if kind == "Correspond" else "note", str(txn_id))]
                if ours is not None and ours.files:
                    files = self._files.listing(ticket_id) if files is None else files
                    said += [
                        ("attachment", f"{part.get('Filename')} (#{part['id']})")
                        for part in files.get(txn_id, [])
                    ]
                entries += [
                    AuditEntry(ticket_key, at, actor, name, None, new, reason, version, txn_id)
                    for name, new in said
                ]
                continue
            if txn_id in covered or creator == "RT_System":
                continue  # part of a write of ours (recorded above), or RT's own echo of it
            mapped = self._foreign_entry(txn, cf_names)
            if mapped is not None:
                name, old, new = mapped
                entries.append(
                    AuditEntry(ticket_key, at, creator, name, old, new, None, version, txn_id)
                )
        return entries

    @staticmethod
    def _rt_field(txn: Mapping[str, Any]) -> str:
        """Which RT field a transaction changed, in the words our writes record."""
        kind, fld = str(txn.get("Type", "")), str(txn.get("Field") or "")
        if kind == "Status":
            return "Status"
        if kind == "CustomField":
            return f"CF:{fld}"
        if kind in ("Give", "Take", "Steal", "Untake"):
            return "Owner"
        return fld

    def _covered(self, transactions: list[dict[str, Any]]) -> set[int]:
        """Ids of RT's own transactions that one of our writes made (and recorded).

        A write of ours is one run of transactions by one RT user (RT's mail echoes may
        sit inside it); its record names the RT fields it set, and only those are taken
        as its own: a change somebody made as the same user in RT's UI still shows.
        """
        covered: set[int] = set()
        run: list[dict[str, Any]] = []
        fields_set: set[str] = set()

        def close() -> None:
            for txn in run:
                if self._rt_field(txn) in fields_set:
                    covered.add(int(txn["id"]))
            run.clear()
            fields_set.clear()

        creator: str | None = None
        for txn in transactions:
            who = ref_id(txn.get("Creator")) or ""
            if who == "RT_System":
                continue
            if who != creator or txn.get("Type") == "Create":
                close()
                creator = who
            run.append(txn)
            write = self.write_record(txn)
            if write is not None:
                fields_set.update(write.rt_fields)
                fields_set.add(f"CF:{self._mapping.cf_ids.get(CUSTOM_FIELDS['state'])}")
        close()
        return covered

    def _created_info(
        self, ticket_id: int, transactions: list[dict[str, Any]]
    ) -> tuple[str | None, str | None]:
        data, _ = self._session.fetch(ticket_id)
        subject: str | None = str(data.get("Subject", ""))
        for txn in transactions:
            if txn.get("Type") == "Set" and txn.get("Field") == "Subject":
                subject = str(txn.get("OldValue", ""))
                break
        state = custom_field_values(data).get(CUSTOM_FIELDS["state"])
        created_by = None
        if state:
            try:
                created_by = json.loads(state).get("created_by")
            except (ValueError, AttributeError):
                created_by = None
        return created_by, subject

    def _foreign_entry(
        self, txn: Mapping[str, Any], cf_names: Mapping[str, str]
    ) -> tuple[str, str | None, str | None] | None:
        """A change made outside helpdesk-tui, in our fields' words (None: not ours to show)."""
        kind = str(txn.get("Type", ""))
        fld = str(txn.get("Field") or "")
        old, new = txn.get("OldValue") or None, txn.get("NewValue") or None
        if kind == "Status" or (kind == "Set" and fld == "Status"):
            return (
                "status",
                _status_text(self._mapping.from_rt_status, old),
                _status_text(self._mapping.from_rt_status, new),
            )
        if kind == "Set" and fld == "Priority":
            return ("priority", _priority_text(old), _priority_text(new))
        if kind == "Set" and fld == "Subject":
            return ("subject", old, new)
        if kind == "Set" and fld == "Queue":
            queue_names = self._mapping.queue_names

            def tier(value: object) -> str | None:
                name = queue_names.get(int(str(value))) if str(value).isdigit() else None
                return None if name is None else str(self._config.queues[name])

            return ("tier", tier(old), tier(new))
        if kind in ("Set", "Give", "Take", "Steal", "Untake") and fld == "Owner":
            return ("assignee", self._user_name(old), self._user_name(new))
        if kind in ("AddWatcher", "DelWatcher") and fld == "AdminCc":
            user = self._user_name(new if kind == "AddWatcher" else old)
            return (
                "watchers",
                None if kind == "AddWatcher" else user,
                user if kind == "AddWatcher" else None,
            )
        if kind == "CustomField":
            name = cf_names.get(fld)
            if name is None or name == CUSTOM_FIELDS["state"]:
                return None
            ours = {v: k for k, v in CUSTOM_FIELDS.items()}.get(name)
            target = {v: k for k, v in CF_FOR_FIELD.items()}.get(ours or "")
            if target is None:
                return None
            return (target, old, new)
        return None

    def _user_name(self, principal: object) -> str | None:
        """The user name of an RT principal (id or name); None for nobody."""
        if principal in (None, "", "0"):
            return None
        text = str(principal)
        if not text.isdigit():
            return text
        if text not in self._user_names:
            try:
                data = self._client.get_json(f"user/{text}")
                self._user_names[text] = str(data.get("Name", text))
            except StoreError:
                self._user_names[text] = text
        name = self._user_names[text]
        return None if name == "Nobody" else name


def _minutes(taken: object) -> int | None:
    """RT's TimeTaken (minutes; 0 when none was given) as a Comment's minutes."""
    try:
        minutes = int(str(taken or 0))
    except ValueError:
        return None
    return minutes if minutes > 0 else None


def _merged_from(txn: Mapping[str, Any], ticket_id: int, key: Callable[[int], str]) -> str | None:
    """A transaction of a ticket RT merged into this one is still that ticket's."""
    written_on = ref_id(txn.get("ObjectId"))
    if written_on is None or not written_on.isdigit() or int(written_on) == ticket_id:
        return None
    return key(int(written_on))
