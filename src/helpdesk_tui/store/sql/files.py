"""Attachment files: staged before a write's lock is taken, placed when it commits."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

if sys.platform != "win32":
    import fcntl

from ...domain.model import MAX_ATTACHMENT_BYTES
from ...settings.private import FILE_MODE, private_dir
from ..base import InvalidInput, NewAttachment, NotFound
from .tables import attachments
from .transactions import SqlTransactions

_COPY_CHUNK = 1 << 20
_STAGING = ".incoming"
"""Where attachment files wait, under the attachments folder, until their write commits."""
_STAGED_PREFIX = "staged-"
_JUST_CREATED = 10.0
_WINDOWS_STAGED_AGE = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class StagedFile:
    """An attachment copied into the store's staging folder under a temporary name."""

    source: NewAttachment
    temp: Path
    size: int
    sha256: str
    held: IO[bytes] | None = None
    """The temporary file, kept open (and locked) until the write ends: a store opened
    meanwhile sees a writer that is still alive and leaves the file alone."""


@dataclass
class FileWrite:
    """The files of one write: staged copies, and those already stored under their
    final names (`placed`), both removed again if the write fails."""

    staged: list[StagedFile]
    placed: list[Path] = field(default_factory=list)


class AttachmentFiles(SqlTransactions):
    """The files of attachments, in the store's attachments folder."""

    def remove_orphaned_files(self) -> int:
        """Remove the staged attachment copies of writers that died mid-write (killed,
        crashed, the machine lost power); returns how many. Run by `open`.

        A live writer holds an exclusive lock on its staged file until its write ends;
        a file nobody holds a lock on belongs to nobody. One folder is listed, not the
        store's tree: this runs at every launch. Where there is no flock (Windows) a
        staged file is left for a day, longer than any write takes."""
        folder = self._attachments_dir / _STAGING
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return 0  # no staging folder yet (or unreadable: the next write will say so)
        removed = 0
        now = time.time()
        for entry in entries:
            if not entry.name.startswith(_STAGED_PREFIX):
                continue
            with suppress(OSError):
                if _orphaned(entry.path, now):
                    os.unlink(entry.path)
                    removed += 1
        return removed

    def attachment_path(self, key: str, attachment_id: int) -> Path:
        """Where the stored file of one of the ticket's attachments is."""
        with self._read_transaction() as conn:
            ticket_id = self._id_of(conn, key)
            stored = conn.execute(
                sa.select(attachments.c.storage_path).where(
                    attachments.c.id == attachment_id, attachments.c.ticket_id == ticket_id
                )
            ).scalar()
        if stored is None:
            raise NotFound(f"{key} has no attachment {attachment_id}")
        path = self._attachments_dir / str(stored)
        if not path.is_file():
            raise NotFound(f"the file of attachment {attachment_id} of {key} is missing: {path}")
        return path

    # -- attachments -----------------------------------------------------------------

    @contextmanager
    def _files(self, attachments: Sequence[NewAttachment]) -> Iterator[FileWrite]:
        """Stage `attachments` for a write made inside this block. Unless the block ends
        normally (the write committed), every file it copied in is removed again: the
        staged temporaries and the stored files alike. A writer killed before that is
        cleaned up after by the next `open` (`remove_orphaned_files`)."""
        files = FileWrite(self._stage_attachments(attachments))
        try:
            yield files
        except BaseException:
            for path in [*(file.temp for file in files.staged), *files.placed]:
                with suppress(OSError):
                    path.unlink()
            raise
        finally:
            for file in files.staged:
                if file.held is not None:
                    with suppress(OSError):
                        file.held.close()  # releases the lock

    def _store_files(
        self,
        conn: Connection,
        files: FileWrite,
        ticket_id: int,
        comment_id: int | None,
        actor: str,
        at: datetime,
        entry: Callable[[str, str | None, str | None], dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Store the staged files on a ticket (and comment); their audit entries."""
        entries = []
        for file in files.staged:
            attachment_id, path = self._store_attachment(
                conn, ticket_id, comment_id, file, actor, at
            )
            files.placed.append(path)
            entries.append(entry("attachment", None, f"{file.source.filename} (#{attachment_id})"))
        return entries

    def _stage_attachments(self, files: Sequence[NewAttachment]) -> list[StagedFile]:
        """Check every file's size first, then copy them in (hashing as they stream).

        Copying happens before the write transaction so a 90 MB upload never holds the
        database's write lock; the temporary files are removed if the write fails.
        """
        for file in files:
            try:
                info = os.stat(file.path)
            except OSError as exc:
                raise InvalidInput(f"cannot read {file.path}: {exc.strerror or exc}") from exc
            if not os.path.isfile(file.path):
                raise InvalidInput(f"not a file: {file.path}")
            if info.st_size > MAX_ATTACHMENT_BYTES:
                raise InvalidInput(_too_big(file.filename, info.st_size))
        staged: list[StagedFile] = []
        try:
            for file in files:
                staged.append(self._copy_in(file))
        except BaseException:
            for done in staged:
                if done.held is not None:
                    with suppress(OSError):
                        done.held.close()
                with suppress(OSError):
                    done.temp.unlink()
            raise
        return staged

    def _copy_in(self, file: NewAttachment) -> StagedFile:
        # The source is the user's file, the target the store's folder: a failure of
        # either is said as such ("cannot read /proc/self/mem", not "attachments folder").
        try:
            src = open(file.path, "rb")  # noqa: SIM115 - closed below, after the copy
        except OSError as exc:
            raise InvalidInput(f"cannot read {file.path}: {exc.strerror or exc}") from exc
        with src, self._guard():
            folder = private_dir(self._attachments_dir / _STAGING)
            temp = folder / f"{_STAGED_PREFIX}{uuid.uuid4().hex}"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            dst = os.fdopen(fd, "wb")  # held until the write ends (_files)
            digest = hashlib.sha256()
            size = 0
            try:
                _hold(dst)
                while True:
                    try:
                        chunk = src.read(_COPY_CHUNK)
                    except OSError as exc:
                        raise InvalidInput(
                            f"cannot read {file.path}: {exc.strerror or exc}"
                        ) from exc
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_ATTACHMENT_BYTES:  # the file grew after the check
                        raise InvalidInput(_too_big(file.filename, size))
                    digest.update(chunk)
                    dst.write(chunk)
                dst.flush()
            except BaseException:
                with suppress(OSError):
                    dst.close()
                with suppress(OSError):
                    temp.unlink()
                raise
            if sys.platform == "win32":
                dst.close()  # Windows renames no open file; orphans there go by age
                return StagedFile(file, temp, size, digest.hexdigest())
            return StagedFile(file, temp, size, digest.hexdigest(), dst)

    def _store_attachment(
        self,
        conn: Connection,
        ticket_id: int,
        comment_id: int | None,
        file: StagedFile,
        actor: str | None,
        at: datetime,
    ) -> tuple[int, Path]:
        result = conn.execute(
            sa.insert(attachments).values(
                ticket_id=ticket_id,
                comment_id=comment_id,
                filename=file.source.filename,
                content_type=file.source.content_type,
                size=file.size,
                sha256=file.sha256,
                storage_path="",
                uploaded_by=actor,
                created_at=at,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        attachment_id = int(pk[0])
        # The stored name never comes from user input alone: id first, then a safe name.
        relative = f"{ticket_id}/{attachment_id}-{_safe_filename(file.source.filename)}"
        conn.execute(
            sa.update(attachments)
            .where(attachments.c.id == attachment_id)
            .values(storage_path=relative)
        )
        target = self._attachments_dir / relative
        private_dir(target.parent)
        os.replace(file.temp, target)
        return attachment_id, target

    def _remove_files(self, relative_paths: Iterable[str]) -> None:
        folders: set[Path] = set()
        for relative in relative_paths:
            path = self._attachments_dir / relative
            with suppress(OSError):
                path.unlink()
            folders.add(path.parent)
        for folder in folders:
            with suppress(OSError):
                folder.rmdir()  # only if empty


def _hold(handle: IO[bytes]) -> None:
    """Lock a staged file for as long as `handle` is open (see `remove_orphaned_files`)."""
    if sys.platform != "win32":
        fcntl.flock(handle, fcntl.LOCK_EX)


def _orphaned(path: str, now: float) -> bool:
    """Whether no writer owns the staged file at `path` any more."""
    info = os.stat(path)
    if sys.platform == "win32":
        return now - info.st_mtime > _WINDOWS_STAGED_AGE
    if info.st_size == 0 and now - info.st_mtime < _JUST_CREATED:
        # A writer takes its lock a moment after creating the file: an empty, fresh
        # file may be one in that moment. A writer writes only once it holds the lock.
        return False
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live writer holds it
        return True


def _safe_filename(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._")
    return base[:80] or "file"


def _too_big(filename: str, size: int) -> str:
    limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
    return f"{filename} is {size / (1024 * 1024):.1f} MB; attachments may be at most {limit} MB"
