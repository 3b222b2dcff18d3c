"""Incoming mail as the record the intake acts on: who sent it, what it says, what it
carries, and whether a person or a machine sent it.

`parsing.parse` reads a message into an `Inbound`; mail that cannot be taken in (no
sender, too large) raises `Malformed` with the reason; the caller keeps it aside, it is
never dropped.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Nature(enum.StrEnum):
    PERSON = "person"
    AUTOMATIC = "automatic"
    """An auto-reply, a list or bulk mail, a read receipt, a system's notice: recorded,
    never answered (or two robots answer each other for ever)."""
    BOUNCE = "bounce"
    """A delivery failure report about mail we sent."""


class Malformed(ValueError):
    """Mail that cannot be taken in; the message is the reason, one line."""


@dataclass(frozen=True, slots=True)
class InboundFile:
    filename: str
    content_type: str
    size: int
    """Decoded bytes; larger than MAX_ATTACHMENT_BYTES: not kept (path None)."""
    path: Path | None
    """Where it was decoded to, in the folder given to `parse`."""

    @property
    def data(self) -> bytes:
        return b"" if self.path is None else self.path.read_bytes()


@dataclass(frozen=True, slots=True)
class Inbound:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    files: tuple[InboundFile, ...]
    nature: Nature
    why: str
    """Which header made it automatic or a bounce (for the record)."""
    references: tuple[str, ...]
    """In-Reply-To, then References: the Message-IDs it answers."""
    returned: str = ""
    """A bounce: the Subject and Message-ID of the returned message, where it says them."""
    content_hash: str = ""
    """SHA-256 of what the sender wrote (From, To, Cc, Date, Subject and the body), not of
    what servers added on the way: the same mail delivered twice hashes the same."""

    @property
    def record_id(self) -> str:
        """What the store keeps to take this message in once: its Message-ID and content,
        so another message that reuses a Message-ID is still taken in."""
        return f"{self.message_id} sha256:{self.content_hash[:32]}"


def thread_id(record_id: str) -> str:
    """The Message-ID part of a stored `record_id`, to thread answers under it."""
    return record_id.split(" ", 1)[0]
