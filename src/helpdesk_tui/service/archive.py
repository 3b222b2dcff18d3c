"""The lossless export: one JSON object per ticket holding all of it ("format": 2), and
its import.

A full record is a flat record (transfer.to_record: every field a person edits) plus the
ticket's version and SLA columns, its conversation in order (each comment's files by
content, base64, with their size and SHA-256), the links it is the source of, and its
history as it was written. Its import restores exactly that, so that exporting again
gives the same bytes; `--update` (AdminUseCases.restore_tickets) lays it over a ticket
the store has.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.model import Attachment, AuditEntry, Comment, Ticket
from ..store.base import ArchivedFile, ArchivedTicket, LinkRecord, StoreError
from .errors import ImportRefused
from .helpdesk import HelpdeskService
from .transfer import FULL_FORMAT as FORMAT
from .transfer import ImportFormatError, TextSink, to_record


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def write_full(service: HelpdeskService, out: TextSink, tickets: Iterable[Ticket]) -> int:
    """Each ticket as one line of JSON holding all of it; returns how many."""
    count = 0
    for ticket in tickets:
        out.write(json.dumps(full_record(service, ticket), ensure_ascii=False) + "\n")
        count += 1
    return count


def full_record(service: HelpdeskService, ticket: Ticket) -> dict[str, Any]:
    """Everything a ticket holds, as import_archive reads it back."""
    record: dict[str, Any] = {"format": FORMAT, **to_record(ticket)}
    record.update(
        version=ticket.version,
        sla_due_at=_iso(ticket.sla_due_at),
        sla_risk_at=_iso(ticket.sla_risk_at),
        sla_flags=list(ticket.sla_flags),
    )
    record["comments"] = [
        _comment(service, ticket.key, comment) for comment in service.conversation_of(ticket)
    ]
    record["links"] = [
        {
            "kind": link.kind.value,
            "target": link.target,
            "created_by": link.created_by,
            "created_at": _iso(link.created_at),
        }
        for link in service.link_records(ticket)
    ]
    record["history"] = [history_record(entry) for entry in service.history_of(ticket)]
    return record


def history_record(entry: AuditEntry) -> dict[str, Any]:
    """One history entry as JSON: the full export and `ticket show --json` write it so."""
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "field": entry.field,
        "old": entry.old,
        "new": entry.new,
        "reason": entry.reason,
        "version": entry.version,
        "login": entry.login,
    }


def _comment(service: HelpdeskService, key: str, comment: Comment) -> dict[str, Any]:
    return {
        "kind": comment.kind.value,
        "author": comment.author,
        "body": comment.body,
        "created_at": comment.created_at.isoformat(),
        "from_customer": comment.from_customer,
        "merged_from": comment.merged_from,
        "minutes": comment.minutes,
        "files": [_file(service, key, file) for file in comment.attachments],
    }


def _file(service: HelpdeskService, key: str, file: Attachment) -> dict[str, Any]:
    assert file.id is not None  # read from the store
    content = service.attachment_path(key, file.id).read_bytes()
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
        "uploaded_by": file.uploaded_by,
        "created_at": _iso(file.created_at),
        "content": base64.b64encode(content).decode("ascii"),
    }


def import_archive(
    service: HelpdeskService,
    path: Path,
    records: Iterator[tuple[str, Any]],
    *,
    update: bool = False,
) -> int:
    """Restore every full record of `records` ((place, record) pairs); all or nothing.
    A refusal is one ImportFormatError naming the place (the file and line)."""
    where = [str(path)]
    linking: dict[int, str] = {}  # where each ticket naming others came from, by position
    with tempfile.TemporaryDirectory(prefix="helpdesk-import-") as folder:
        items = _archived(records, Path(folder), where, linking)
        try:
            return service.restore_tickets(items, update=update)
        except ImportRefused as exc:
            raise ImportFormatError(f"{linking.get(exc.position, where[0])}: {exc}") from None
        except StoreError as exc:
            raise ImportFormatError(f"{where[0]}: nothing imported: {exc}") from None


def _archived(
    records: Iterator[tuple[str, Any]], folder: Path, where: list[str], linking: dict[int, str]
) -> Iterator[ArchivedTicket]:
    """Each record as an ArchivedTicket, its files' bytes in `folder` until the store has
    taken them (it has once it asks for the next ticket)."""
    from .archive_records import archived_parts, history_entries
    from .records import RecordError

    held: list[Path] = []
    for position, (place, record) in enumerate(records, 1):
        where[0] = place
        for done in held:
            done.unlink(missing_ok=True)
        held.clear()
        if not isinstance(record, dict) or "format" not in record:
            raise ImportFormatError(
                f'{place}: a flat ticket (no "format") in a full export; import it on its own'
            )
        try:
            ticket, thread, parts = archived_parts(record)
        except RecordError as exc:
            raise ImportFormatError(f"{place}: {exc}") from None
        comments: list[tuple[Comment, list[ArchivedFile]]] = []
        for comment, files in thread:
            stored = []
            for file, data in files:
                temp = folder / f"{position}-{len(held)}"
                temp.write_bytes(data)
                held.append(temp)
                stored.append(
                    ArchivedFile(
                        file.filename,
                        temp,
                        file.size,
                        file.sha256,
                        file.content_type,
                        file.uploaded_by,
                        file.created_at,
                    )
                )
            comments.append((comment, stored))
        links = [LinkRecord(x.kind, x.target, x.created_by, x.created_at) for x in parts.links]
        if links or ticket.merged_into or ticket.follow_up_of:
            linking[position] = place
        yield ArchivedTicket(ticket, comments, links, history_entries(ticket.key, parts))
