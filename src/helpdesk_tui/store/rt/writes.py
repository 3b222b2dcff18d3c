"""TicketWriter: create and change tickets on RT, post replies and notes, and check
that RT stored what was sent (it answers 200 to changes it skipped)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from ...domain.model import Comment, CommentKind, Ticket, contact_address
from ..base import Change, ConflictError, InvalidInput, NotFound, StoreError
from ..fields import AUDITED_FIELDS, audit_text
from ..validation import FIELD_KINDS, check_comment_minutes, check_fields, check_str, check_ts
from .client import denied
from .errors import RtBadResponse, RtForbidden
from .files import AttachmentFiles, Upload, read_files
from .history import TicketHistory
from .mapping import (
    CF_WRITTEN,
    CUSTOM_FIELDS,
    PRIORITY_VALUES,
    custom_field_values,
    custom_fields,
    json_object,
    state_of,
)
from .session import RtSession


def _checked_change(change: Change) -> dict[str, Any]:
    """The change's field values, checked, once the rest of the change is found sound."""
    updates = check_fields(change.fields)
    check_ts("at", change.at)
    for name, _detail in change.events:
        check_str("event", name)
    if change.comment is not None:
        check_str("body", change.comment.body)
        check_comment_minutes(change.comment.minutes)
        if change.comment.kind not in (CommentKind.REPLY, CommentKind.NOTE):
            raise InvalidInput(f"a comment cannot be of kind {change.comment.kind!r:.40}")
    elif change.attachments:
        raise InvalidInput(
            "RT keeps files in messages: attach them with a reply or note (nothing written)"
        )
    return updates


class TicketWriter:
    """Every write: one at a time, each based on the version (and ETag) it was read at."""

    def __init__(self, session: RtSession, files: AttachmentFiles, history: TicketHistory) -> None:
        self._session = session
        self._client = session.client
        self._mapping = session.mapping
        self._config = session.config
        self._files = files
        self._history = history
        self._known_users: set[str] = set()
        """RT user names already found to exist."""

    def _require_users(self, names: Iterable[str | None], what: str) -> None:
        """Refuse unknown users before writing: RT would skip them and answer 200."""
        for name in names:
            if not name or name in self._known_users:
                continue
            if re.fullmatch(r"[^/\s?#]{1,200}", name):
                try:
                    self._client.get_json(f"user/{name}")
                except NotFound:
                    pass
                else:
                    self._known_users.add(name)
                    continue
            raise InvalidInput(f"{what} {name!r:.60} is not an RT user; nothing was written")

    def create(self, ticket: Ticket, actor: str, comment: Comment | None = None) -> Ticket:
        """Create the RT ticket (in the tier's queue) with its description as the first
        message; the optional first comment follows as a Comment."""
        checked = check_fields(
            {n: getattr(ticket, n) for n in FIELD_KINDS if n not in ("updated_at",)}
        )
        ticket = replace(ticket, **checked, created_at=check_ts("created_at", ticket.created_at))
        if comment is not None:
            check_comment_minutes(comment.minutes)
        state = state_of(ticket)
        state.update(version=1, created_by=actor)
        if comment is not None:  # who wrote the first comment, when not the creator
            state.update(first_author=comment.author, first_from_customer=comment.from_customer)
        cfs = custom_fields(ticket, CF_WRITTEN)
        cfs = {k: v for k, v in cfs.items() if v is not None}
        cfs[CUSTOM_FIELDS["state"]] = json.dumps(state, ensure_ascii=False)
        body: dict[str, Any] = {
            "Queue": self._mapping.queue_for(ticket.tier),
            "Subject": ticket.subject,
            "Status": self._mapping.rt_status(ticket.status),
            "Priority": PRIORITY_VALUES[ticket.priority],
            "CustomFields": cfs,
        }
        if ticket.description:
            body["Content"] = ticket.description
            body["ContentType"] = "text/plain"
        if ticket.assignee:
            body["Owner"] = ticket.assignee
        if ticket.requester_email:
            body["Requestor"] = ticket.requester_email
        if ticket.watchers:
            body["AdminCc"] = list(ticket.watchers)
        if ticket.contacts:
            body["Cc"] = [contact_address(c) for c in ticket.contacts]
        self._require_users([ticket.assignee], "assignee")
        self._require_users(ticket.watchers, "watcher")
        with self._session.write_lock:
            created = self._client.json(self._client.request("POST", "ticket", body=body))
            try:
                ticket_id = int(created["id"])
            except (KeyError, TypeError, ValueError):
                raise RtBadResponse(
                    f"RT at {self._config.host} did not say which ticket it created"
                ) from None
            self._session.forget_searches()
            if comment is not None:
                minutes = comment.minutes
                self._post_message(ticket_id, comment.kind, comment.body, None, (), minutes)
            data, etag = self._session.fetch(ticket_id, fresh=True)
        stored = self._mapping.ticket_from(data, roles=True)
        self._verify(stored, ticket, checked)
        with self._session.lock:
            self._session.version_etags[(ticket_id, stored.version)] = etag
        return stored

    def _verify(self, stored: Ticket, wanted: Ticket, names: Iterable[str]) -> None:
        """RT answers 200 even when it skipped part of an update: say so, never hide it."""
        for name in names:
            got, want = getattr(stored, name), getattr(wanted, name)
            if name == "watchers":
                got, want = set(got), set(want)
            if got != want:
                shown = audit_text(getattr(wanted, name))
                raise InvalidInput(
                    f"{stored.key}: RT did not take {name} = {shown!r:.60}"
                    " (unknown user, or missing rights); the rest of the change was saved"
                )

    def _post_message(
        self,
        ticket_id: int,
        kind: CommentKind,
        text: str,
        status: str | None,
        files: Sequence[Upload] = (),
        minutes: int | None = None,
    ) -> None:
        """Post a reply (Correspond) or note (Comment) with its files and time spent (RT's
        TimeTaken, which RT adds to the ticket's TimeWorked); then make sure RT kept every
        file whole (it may cut or drop large ones: see MaxAttachmentSize)."""
        word = "reply" if kind is CommentKind.REPLY else "note"
        path = f"ticket/{ticket_id}/{'correspond' if kind is CommentKind.REPLY else 'comment'}"
        body: dict[str, Any] = {"Content": text, "ContentType": "text/plain"}
        if status is not None:
            body["Status"] = status
        if minutes is not None:
            body["TimeTaken"] = minutes
        if files:
            body["Attachments"] = [f.payload() for f in files]
        try:
            response = self._client.request("POST", path, body=body)
        except StoreError as exc:
            raise type(exc)(
                f"{self._mapping.key(ticket_id)}: the {word} was NOT posted ({exc}); send it again"
            ) from None
        location = response.headers.get("Location", "")
        txn = location.rstrip("/").rsplit("/", 1)[-1]
        if files and txn.isdigit():
            self._files.check_kept(ticket_id, int(txn), word)

    def apply(self, change: Change) -> Ticket:
        """Write one change: a PUT with If-Match (fields, roles, custom fields and the
        write's record), then the reply or note if there is one (with the status, so RT's
        auto-open scrip cannot undo it). A stale base or a 412 is a ConflictError and
        nothing is written. Files go with the message and must come with one; RT answers
        200 to changes it did not make (rights), so what it stored is read back and checked."""
        updates = _checked_change(change)
        ticket_id = self._mapping.id_of(change.key)
        files = read_files(change.attachments)
        with self._session.write_lock:
            with self._unsent(change.comment):
                data, etag = self._session.fetch(ticket_id, fresh=True)
                current = self._mapping.ticket_from(data, roles=True)
                seen = self._session.version_etags.get((ticket_id, change.base_version))
                if current.version != change.base_version or (seen is not None and seen != etag):
                    raise self._conflict(current, change.base_version, seen, etag)
                diffs = {n: v for n, v in updates.items() if getattr(current, n) != v}
                diffs.pop("updated_at", None)
                if not (diffs or change.comment or change.events):
                    return current
                if "tier" in diffs and diffs["tier"] not in (1, 2, 3):
                    raise InvalidInput(f"tier must be 1, 2 or 3, not {diffs['tier']}")
                after = replace(current, **diffs)
                if "assignee" in diffs:
                    self._require_users([after.assignee], "assignee")
                if "watchers" in diffs:
                    self._require_users(after.watchers, "watcher")
                version = current.version + 1
                state = self._state_after(change, current, after, diffs, data, files)
                new_status = self._mapping.rt_status(after.status) if "status" in diffs else None
                body = self._put_body(change, after, diffs, state, new_status)
                self._put(ticket_id, etag, body, change.base_version, current.key)
            if change.comment is not None:
                status = new_status
                if status is None and not after.status.is_active:
                    status = self._mapping.rt_status(after.status)  # keep it: RT re-opens on reply
                self._post_message(
                    ticket_id,
                    change.comment.kind,
                    change.comment.body,
                    status,
                    files,
                    change.comment.minutes,
                )
            data, etag = self._session.fetch(ticket_id, fresh=True)
        stored = self._mapping.ticket_from(data, roles=True)
        if stored.version < version:
            raise InvalidInput(
                f"{current.key}: RT did not save the change (v{stored.version}, not v{version})"
            )
        self._verify(stored, after, diffs)
        with self._session.lock:
            self._session.version_etags[(ticket_id, stored.version)] = etag
        return stored

    def merge(self, source: Change, target: Change) -> tuple[Ticket, Ticket]:
        """RT's own merge (MergeInto): RT moves the source's messages, files, watchers and
        links to the target, and from then on answers for the source with the target.
        Both tickets are checked against the versions the agent saw first; then the
        target's change (the merge's note, the earlier first response) is written."""
        if source.key == target.key:
            raise InvalidInput("a ticket cannot be merged into itself")
        if source.attachments or target.attachments:
            raise InvalidInput("a merge moves files; it adds none")
        ids = self._mapping.id_of(source.key), self._mapping.id_of(target.key)
        with self._session.write_lock:
            seen: list[tuple[dict[str, Any], str]] = []
            for change, ticket_id in zip((source, target), ids, strict=True):
                data, etag = self._session.fetch(ticket_id, fresh=True)
                current = self._mapping.ticket_from(data, roles=True)
                known = self._session.version_etags.get((ticket_id, change.base_version))
                if current.version != change.base_version or known not in (None, etag):
                    raise self._conflict(current, change.base_version, known, etag)
                seen.append((data, etag))
            merged = self._mapping.ticket_from(seen[0][0], roles=True)
            self._put(ids[0], seen[0][1], {"MergeInto": ids[1]}, source.base_version, source.key)
            effective, _etag = self._session.fetch(ids[0], fresh=True)
            if str(effective.get("id")) != str(ids[1]):
                raise InvalidInput(f"RT did not merge {source.key} into {target.key}")
            self._session.carry_version(ids[1], seen[1])
        closed = {k: v for k, v in _checked_change(source).items() if k != "updated_at"}
        return replace(merged, **closed), self.apply(target)

    def _state_after(
        self,
        change: Change,
        current: Ticket,
        after: Ticket,
        diffs: Mapping[str, Any],
        data: Mapping[str, Any],
        files: Sequence[Upload],
    ) -> dict[str, Any]:
        """The "Helpdesk state" of the changed ticket, with the record of this write (the
        RT fields it sets are added by `_put_body`)."""
        entries = [
            (n, audit_text(getattr(current, n)), audit_text(v))
            for n, v in diffs.items()
            if n in AUDITED_FIELDS
        ]
        state = state_of(after)
        old_state = json_object(custom_field_values(data).get(CUSTOM_FIELDS["state"]))
        state["version"] = current.version + 1
        state["created_by"] = old_state.get("created_by")
        for kept in ("first_author", "first_from_customer"):
            if kept in old_state:
                state[kept] = old_state[kept]
        state["write"] = {
            "actor": change.actor,
            "reason": change.reason,
            "entries": entries,
            "events": [[n, None if d is None else str(d)] for n, d in change.events],
            "comment": None if change.comment is None else change.comment.kind.value,
            "author": None if change.comment is None else change.comment.author,
            "from_customer": change.comment is not None and change.comment.from_customer,
            "files": [[f.name, len(f.data), f.sha256, f.content_type] for f in files],
        }
        return state

    def _put_body(
        self,
        change: Change,
        after: Ticket,
        diffs: Mapping[str, Any],
        state: dict[str, Any],
        new_status: str | None,
    ) -> dict[str, Any]:
        """The PUT of a change: RT's own fields, the custom fields, and the state whose
        write record names the RT fields this write sets (so the history can tell them)."""
        cfs = custom_fields(after, [n for n in diffs if n in CF_WRITTEN])
        cfs[CUSTOM_FIELDS["state"]] = json.dumps(state, ensure_ascii=False)
        body: dict[str, Any] = {"CustomFields": cfs}
        if "subject" in diffs:
            body["Subject"] = after.subject
        if "priority" in diffs:
            body["Priority"] = PRIORITY_VALUES[after.priority]
        if "assignee" in diffs:
            body["Owner"] = after.assignee or "Nobody"
        if "tier" in diffs:
            body["Queue"] = self._mapping.queue_for(after.tier)
        if "watchers" in diffs:
            body["AdminCc"] = list(after.watchers)
        if "requester_email" in diffs and after.requester_email:
            body["Requestor"] = [after.requester_email]
        if "contacts" in diffs:
            # RT's Cc gets its correspondence: RT mails the contacts, as it mails the requestor.
            body["Cc"] = [contact_address(c) for c in after.contacts]
        if new_status is not None and change.comment is None:
            body["Status"] = new_status
        rt_fields = [k for k in body if k != "CustomFields"]
        rt_fields += [f"CF:{self._mapping.cf_ids[name]}" for name in cfs]
        if new_status is not None:
            rt_fields.append("Status")
        state["write"]["rt"] = sorted(set(rt_fields))
        cfs[CUSTOM_FIELDS["state"]] = json.dumps(state, ensure_ascii=False)
        return body

    def _put(self, ticket_id: int, etag: str, body: Mapping[str, Any], base: int, key: str) -> None:
        """The PUT with If-Match: RT refuses it (412) when the ticket moved on since."""
        response = self._client.request(
            "PUT", f"ticket/{ticket_id}", body=body, headers={"If-Match": f'"{etag}"'}
        )
        if response.status_code == 412:
            fresh, fresh_etag = self._session.fetch(ticket_id, fresh=True)
            raise self._conflict(
                self._mapping.ticket_from(fresh, roles=True), base, etag, fresh_etag
            )
        self._session.forget_searches()
        self._client.json(response)  # REST2 answers a PUT with its messages, as JSON
        refusal = denied(response)
        if refusal is not None:
            raise RtForbidden(
                f"RT at {self._config.host} refused (part of) the change to {key} "
                f"(RT rights: {refusal})"
            )

    @contextmanager
    def _unsent(self, comment: Comment | None) -> Iterator[None]:
        """A write that fails before its reply or note is posted says that it was not."""
        try:
            yield
        except ConflictError:
            raise
        except StoreError as exc:
            if comment is None:
                raise
            raise type(exc)(f"{exc}; the {comment.kind.value} was NOT posted") from None

    def _conflict(self, current: Ticket, base: int, seen: str | None, now: str) -> ConflictError:
        """The ConflictError for a stale write, naming what changed since `base`."""
        assert current.id is not None
        with self._session.lock:
            # The agent sees the ticket as it is now: a retry based on it may go through.
            self._session.version_etags[(current.id, current.version)] = now
        changed: list[str] = []
        try:
            for entry in self._history.history(current.key):
                newer = entry.version is not None and entry.version > base
                after_seen = seen is not None and entry.id is not None and entry.id > int(seen or 0)
                if (newer or (after_seen and entry.version == base)) and entry.field != "created":
                    changed.append(entry.field)
        except StoreError:
            changed = []
        return ConflictError(current.key, base, current, changed)
