"""What one record of a full export ("format": 2) holds beyond a ticket's fields: its
version and SLA columns, its conversation with the files by content, the links it is the
source of, and its history. Declared as pydantic models, as records.py declares the
ticket's fields; each refusal is one line naming the place ("comments, item 2, files,
item 1, sha256: ...").

Imports pydantic: only archive.read_archived imports it, inside the import (records.py
says why).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, StrictBool, StringConstraints, ValidationError
from sqlmodel import SQLModel

from ..domain.links import LinkKind
from ..domain.model import MAX_ATTACHMENT_BYTES, AuditEntry, Comment, CommentKind, Ticket
from ..domain.worktime import check_minutes
from .records import Instant, Key, Names, RecordError, Text, WholeNumber, problem, ticket_values
from .transfer import FULL_FORMAT as FORMAT

PARTS = frozenset(
    {"format", "version", "sla_due_at", "sla_risk_at", "sla_flags", "comments", "links", "history"}
)
"""What a full record holds besides the fields a flat one has."""

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
NonEmpty = Annotated[Text, StringConstraints(min_length=1)]
Minutes = Annotated[WholeNumber, AfterValidator(check_minutes)]


def _one_header_value(text: str) -> str:
    # A file's name and type go into mail headers and HTTP responses: a line break there
    # would start a header of the file's choosing.
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError("must be one line without control characters")
    return text


HeaderValue = Annotated[Text, AfterValidator(_one_header_value)]

_STRICT = SQLModel.model_config | {"extra": "forbid", "from_attributes": False}


class FileRecord(SQLModel):
    model_config = _STRICT

    filename: Annotated[HeaderValue, StringConstraints(min_length=1)]
    content_type: HeaderValue = "application/octet-stream"
    size: WholeNumber
    sha256: Sha256
    uploaded_by: Text | None = None
    created_at: Instant | None = None
    content: Text
    """The file's bytes, base64 (RFC 4648, with padding)."""


class CommentRecord(SQLModel):
    model_config = _STRICT

    kind: CommentKind
    author: NonEmpty
    body: Text
    created_at: Instant
    from_customer: StrictBool = False
    merged_from: Key | None = None
    """The ticket it was written on, when a merge moved it to this one."""
    minutes: Minutes | None = None
    """Time spent on the ticket for it (1 minute to a week); None: not recorded."""
    files: list[FileRecord] = []


class LinkRecordModel(SQLModel):
    model_config = _STRICT

    kind: LinkKind
    target: Key
    created_by: Text | None = None
    created_at: Instant | None = None


MAX_VERSION = 2**31 - 2
"""A ticket's version as an import may set it: every write adds one, and the next must
still fit the stores' columns (a version at SQLite's limit left the ticket unwritable)."""


class HistoryRecord(SQLModel):
    model_config = _STRICT

    at: Instant
    actor: NonEmpty
    field: NonEmpty
    old: Text | None = None
    new: Text | None = None
    reason: Text | None = None
    version: WholeNumber | None = None
    login: Text | None = None


class ArchiveParts(SQLModel):
    model_config = _STRICT

    format: Literal[2]
    version: WholeNumber = 1
    sla_due_at: Instant | None = None
    sla_risk_at: Instant | None = None
    sla_flags: Names = None
    comments: list[CommentRecord] = []
    links: list[LinkRecordModel] = []
    history: list[HistoryRecord] = []


def archived_parts(
    record: object,
) -> tuple[Ticket, list[tuple[Comment, list[tuple[FileRecord, bytes]]]], ArchiveParts]:
    """The ticket a full record holds (key, version and SLA columns as written), its
    comments each with its files' checked bytes, and the rest of the record; RecordError,
    one line, if any of it cannot be read."""
    if not isinstance(record, dict):
        raise RecordError("expected an object with the ticket's fields")
    if record.get("format") != FORMAT:
        raise RecordError(f"format: {str(record.get('format'))[:20]} is not a format this reads")
    fields = {k: v for k, v in record.items() if k not in PARTS}
    if not isinstance(fields.get("key"), str):
        raise RecordError("key: every ticket of a full export has its key")
    values = ticket_values(fields)
    try:
        parts = ArchiveParts.model_validate({k: v for k, v in record.items() if k in PARTS})
    except ValidationError as exc:
        raise RecordError(problem(exc)) from None
    if not 1 <= parts.version <= MAX_VERSION:
        raise RecordError(f"version: a whole number from 1 to {MAX_VERSION}")
    for number, link in enumerate(parts.links, 1):
        if link.target == values["key"]:
            raise RecordError(f"links, item {number}, target: {link.target} is this ticket itself")
    values.update(
        version=parts.version,
        sla_due_at=parts.sla_due_at,
        sla_risk_at=parts.sla_risk_at,
        sla_flags=parts.sla_flags or (),
    )
    thread = []
    for number, item in enumerate(parts.comments, 1):
        files = [
            (file, _content(file, f"comments, item {number}, files, item {place}"))
            for place, file in enumerate(item.files, 1)
        ]
        comment = Comment(
            item.kind,
            item.author,
            item.body,
            item.created_at,
            from_customer=item.from_customer,
            merged_from=item.merged_from,
            minutes=item.minutes,
        )
        thread.append((comment, files))
    return Ticket(**values), thread, parts


def history_entries(key: str, parts: ArchiveParts) -> list[AuditEntry]:
    return [
        AuditEntry(key, e.at, e.actor, e.field, e.old, e.new, e.reason, e.version, login=e.login)
        for e in parts.history
    ]


def _content(file: FileRecord, where: str) -> bytes:
    """The file's bytes, checked against its declared size and sha256."""
    if len(file.content) > (MAX_ATTACHMENT_BYTES // 3 + 1) * 4:
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise RecordError(f"{where}: {file.filename[:80]} is larger than {limit} MB")
    try:
        data = base64.b64decode(file.content, validate=True)
    except (binascii.Error, ValueError):
        raise RecordError(f"{where}, content: is not base64") from None
    if len(data) != file.size:
        raise RecordError(f"{where}, size: {file.size} but the content is {len(data)} bytes")
    if hashlib.sha256(data).hexdigest() != file.sha256:
        raise RecordError(f"{where}, sha256: does not match the content")
    return data
