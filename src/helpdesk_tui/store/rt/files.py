"""Files: what a write uploads, what a message lists, and the private download cache."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...domain.model import MAX_ATTACHMENT_BYTES, Attachment, Comment
from ..base import InvalidInput, NewAttachment, NotFound, StoreUnavailable
from ..validation import check_attachment_size
from .client import expect_list, one_line
from .errors import RtBadResponse
from .mapping import int_or_zero, ref_id
from .session import RtSession

BODY_PARTS = json.dumps(
    [
        {"field": "Filename", "operator": "IS", "value": "NULL"},
        {"field": "ContentType", "value": "text/plain"},
    ]
)
"""REST2 JSON query for the parts of a message that are its text."""

FILE_PARTS = json.dumps([{"field": "Filename", "operator": "IS NOT", "value": "NULL"}])
"""REST2 JSON query for the parts of a message that are files."""

FILE_TROUBLE = {
    "AttachmentTruncate": "cut short",
    "AttachmentDrop": "dropped",
    "AttachmentError": "could not store",
}
"""The transactions RT adds when it did not keep a file as it was sent."""

_PLAIN_NAME = re.compile(r"[A-Za-z0-9 ._()+,@-]{1,200}")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file read for sending, with what the write records about it."""

    name: str
    content_type: str
    data: bytes
    sha256: str

    def payload(self) -> dict[str, str]:
        """REST2's attachment object. A name that is not plain ASCII travels as an RFC 2047
        word (RT 5.0 fails on raw UTF-8 there, and a quote or newline could break the MIME
        header); text that is not UTF-8 goes as octets, which RT would otherwise convert."""
        name = self.name
        if not _PLAIN_NAME.fullmatch(name):
            name = "=?UTF-8?B?" + base64.b64encode(name.encode()).decode("ascii") + "?="
        kind = self.content_type
        if kind.lower().startswith("text/"):
            try:
                self.data.decode("utf-8")
            except UnicodeDecodeError:
                kind = "application/octet-stream"
        return {
            "FileName": name,
            "FileType": kind,
            "FileContent": base64.b64encode(self.data).decode("ascii"),
        }


def read_files(files: Sequence[NewAttachment]) -> list[Upload]:
    """Check every file (a regular, non-empty file within the size limit), then read them:
    one refused file means nothing is sent."""
    for file in files:
        try:
            size = os.stat(file.path).st_size if os.path.isfile(file.path) else -1
        except OSError:
            size = -1
        if size < 0:
            raise InvalidInput(f"cannot attach {file.path}: no such file, or not a regular one")
        check_attachment_size(file.filename, size)
        if size == 0 or not file.filename.strip():
            raise InvalidInput(f"cannot attach {file.path}: RT keeps no empty or nameless file")
    uploads: list[Upload] = []
    for file in files:
        try:
            with open(file.path, "rb") as handle:
                data = handle.read(MAX_ATTACHMENT_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {file.path}: {exc.strerror or exc}") from None
        check_attachment_size(file.filename, len(data))  # it may have grown since
        kind = file.content_type or "application/octet-stream"
        uploads.append(Upload(file.filename, kind, data, hashlib.sha256(data).hexdigest()))
    return uploads


def message_files(
    parts: Sequence[Mapping[str, Any]],
    recorded: Sequence[tuple[str, int, str, str]],
    comment_id: int,
    author: str,
    at: datetime,
) -> tuple[Attachment, ...]:
    """The files of one message. Size, hash and type come from our write's record when it
    sent them (RT counts text in characters and keeps no hash); RT's listing otherwise."""
    found: list[Attachment] = []
    for n, part in enumerate(parts):
        name = str(part.get("Filename") or "")
        size, sha, kind = (
            int_or_zero(part.get("ContentLength")),
            "",
            str(part.get("ContentType") or ""),
        )
        if n < len(recorded) and recorded[n][0].rsplit("/", 1)[-1] == name:
            _name, size, sha, kind = recorded[n]
        found.append(
            Attachment(
                filename=name,
                size=size,
                sha256=sha,
                content_type=kind or "application/octet-stream",
                id=int(part["id"]),
                comment_id=comment_id,
                uploaded_by=author,
                created_at=at,
            )
        )
    return tuple(found)


def as_kept_by_rt(comment: Comment, note: Mapping[str, Any]) -> Comment:
    """The message as RT kept it after its note that it cut a file short (or dropped or
    failed to store it): that file's size is what RT kept, and its hash unknown."""
    name, cut = str(note.get("Data") or ""), note.get("Type") == "AttachmentTruncate"
    files = tuple(
        replace(a, sha256="", size=int_or_zero(note.get("NewValue")) if cut else a.size)
        if a.filename == name.rsplit("/", 1)[-1]
        else a
        for a in comment.attachments
    )
    return replace(comment, attachments=files)


def _cache_name(name: str) -> str:
    """A file name for the cache made of the attachment's own (letters kept, no paths)."""
    return re.sub(r"[^\w.-]+", "_", name.rsplit("/", 1)[-1]).strip("._")[:80] or "file"


class AttachmentFiles:
    """The ticket's files on RT: listed, checked after a write, downloaded into a cache
    folder that only the user may read."""

    def __init__(self, session: RtSession) -> None:
        self._session = session
        self._client = session.client
        self._config = session.config
        self._cache_root: Path | None = None
        self._own_cache: Path | None = None
        """The temporary cache folder made here (no cache_dir configured), removed on close."""

    def close(self) -> None:
        if self._own_cache is not None:
            shutil.rmtree(self._own_cache, ignore_errors=True)
            self._own_cache = self._cache_root = None

    def listing(self, ticket_id: int) -> dict[int, list[dict[str, Any]]]:
        """The ticket's files (named parts, without their content) by transaction id."""
        files: dict[int, list[dict[str, Any]]] = {}
        for item in self._client.items(
            f"ticket/{ticket_id}/attachments",
            {
                "fields": "TransactionId,Filename,ContentType,ContentLength",
                "query": FILE_PARTS,
                "orderby": "id",
            },
        ):
            txn = ref_id(item.get("TransactionId"))
            if txn is not None and str(item.get("id", "")).isdigit():
                files.setdefault(int(txn), []).append(item)
        return files

    def check_kept(self, ticket_id: int, txn: int, word: str) -> None:
        """RT notes a file it cut short, dropped or failed to store as a transaction of
        its own; any of them after our message means a file was not kept as sent."""
        troubles = " OR ".join(f"Type = '{kind}'" for kind in FILE_TROUBLE)
        data = self._client.get_json(
            "transactions",
            {
                "query": f"ObjectType = 'RT::Ticket' AND ObjectId = {ticket_id} "
                f"AND id > {txn} AND ({troubles})",
                "fields": "Type,Data",
                "per_page": 10,
            },
        )
        for item in expect_list(data, "items", self._config.host):
            what = FILE_TROUBLE.get(str(item.get("Type")), "did not keep")
            key = self._session.mapping.key(ticket_id)
            raise InvalidInput(
                f"{key}: RT {what} {one_line(item.get('Data') or 'a file', 80)}"
                f" (RT's MaxAttachmentSize); the {word} was posted without it whole"
            )

    def path(self, key: str, attachment_id: int) -> Path:
        """Download one of the ticket's files into the cache folder and return its path.

        RT never changes a stored file, so one already downloaded is not fetched again;
        the ticket is still asked for, so a file the token may no longer see is refused.
        """
        ticket_id = self._session.mapping.id_of(key)
        if isinstance(attachment_id, bool) or not isinstance(attachment_id, int):
            raise NotFound(f"{key} has no attachment {attachment_id!r:.20}")
        self._session.fetch(ticket_id)  # NotFound outside the helpdesk queues
        wanted = json.dumps([{"field": "id", "value": attachment_id}, *json.loads(FILE_PARTS)])
        found = expect_list(
            self._client.get_json(
                f"ticket/{ticket_id}/attachments",
                {"query": wanted, "fields": "Filename,ContentLength"},
            ),
            "items",
            self._config.host,
        )
        if not found:
            raise NotFound(f"{key} has no attachment {attachment_id}")
        name = str(found[0].get("Filename") or "file")
        check_attachment_size(name, int_or_zero(found[0].get("ContentLength")))
        folder = self._cache_folder(ticket_id)
        target = folder / f"{attachment_id}-{_cache_name(name)}"
        if target.is_file():
            return target
        data = self._client.get_json(f"attachment/{attachment_id}")
        content = data.get("Content") if isinstance(data, dict) else None
        try:
            raw = base64.b64decode(content) if isinstance(content, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            raise RtBadResponse(
                f"RT at {self._config.host} sent attachment {attachment_id} without its content"
            )
        check_attachment_size(name, len(raw))
        temp = folder / f".{attachment_id}-{os.getpid()}-{threading.get_ident()}.part"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(raw)
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StoreUnavailable(f"attachment cache {folder}: {exc.strerror or exc}") from None
        return target

    def _cache_folder(self, ticket_id: int) -> Path:
        """This ticket's folder in the attachment cache (owner-only), made if needed."""
        with self._session.lock:
            if self._cache_root is None:
                if self._config.cache_dir is None:
                    self._own_cache = Path(tempfile.mkdtemp(prefix="helpdesk-rt-"))
                    self._cache_root = self._own_cache
                else:
                    server = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(self._config.url).netloc)
                    self._cache_root = Path(self._config.cache_dir).expanduser() / f"rt-{server}"
            root = self._cache_root
        folder = root / str(ticket_id)
        try:
            for path in (root, folder):
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                if path.is_symlink() or not path.is_dir():
                    raise NotADirectoryError(f"{path} is not a folder of its own")
                os.chmod(path, 0o700)
        except OSError as exc:
            raise StoreUnavailable(f"attachment cache {folder}: {exc.strerror or exc}") from None
        return folder
