"""Incoming mail, read as untrusted text: one message (RFC 5322) into an `Inbound`.

A message is read as a stream of lines from a binary file, never whole into memory:
a 145 MB message costs a few lines of buffer, and each attachment is decoded straight
into a file as its lines go by. The MIME structure is walked here rather than by
`email.parser`, which keeps every part as one string (several copies of the message).
The email package still reads each part's header block, where its care pays off.

Nothing a customer wrote is dropped: every text part is kept in order (those of a
forwarded message or a digest too, under the inner message's From/Date/Subject); a
multipart whose boundary never comes is read as the raw text it is; headers in raw
8-bit are read as UTF-8, else Latin-1. Nothing in a message is interpreted: HTML is
turned into plain text (html.parser, no scripts, no styles, no remote content), escape
sequences are made inert by the domain's sanitiser, and from then on text is only text.
Mail that cannot be taken in (no sender, too large) raises `Malformed` with the reason;
the caller keeps it aside, it is never dropped.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import HeaderParser
from pathlib import Path
from typing import BinaryIO

from ..domain.model import MAX_ATTACHMENT_BYTES
from .headers import (
    HEADER_LINE,
    MESSAGE_ID_RE,
    header_text,
    header_value,
    message_id_of,
    nature_of,
    sender_of,
)
from .htmltext import html_to_text
from .inbound import Inbound, InboundFile, Malformed, Nature
from .parts import clean_text, decoded_text, file_name
from .streams import Decoder, Lines, Sink, boundary_hit

MAX_MESSAGE = 150 * 1024 * 1024
"""A message larger than this is kept aside unread (90 MB attachments, base64-encoded)."""

MAX_TEXT_PART = 4 * 1024 * 1024
"""A text part larger than this (decoded) is kept as a file, its start quoted in the text:
a description holds 1 MB, and text is the one thing held in memory."""

MAX_HEADER_BLOCK = 1024 * 1024
"""Header lines beyond this are read as the body: no header block costs memory unbounded."""

MAX_DEPTH = 30
"""MIME nesting deeper than this is kept as a file: a nesting bomb costs no recursion."""


def parse(source: bytes | Path, folder: Path) -> Inbound:
    """Read one message (RFC 5322); its files are decoded into `folder`. Raise Malformed
    if it cannot be taken in: any other failure of hostile input is turned into one."""
    try:
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        if size > MAX_MESSAGE:
            raise Malformed(f"larger than {MAX_MESSAGE // (1024 * 1024)} MB")
        folder.mkdir(parents=True, exist_ok=True)
        with _opened(source) as stream:
            return _Reader(stream, folder).read()
    except Malformed:
        raise
    except RecursionError:
        raise Malformed("cannot be parsed: nested too deeply") from None
    except Exception as exc:  # hostile input fails in ways nobody listed: kept aside, with why
        raise Malformed(f"cannot be parsed: {type(exc).__name__}: {exc}"[:300]) from None


@contextmanager
def _opened(source: bytes | Path) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    else:
        with source.open("rb") as stream:
            yield stream


@dataclass(slots=True)
class _Found:
    texts: list[str] = field(default_factory=list)
    files: list[InboundFile] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    returned: str = ""


class _Reader:
    def __init__(self, stream: BinaryIO, folder: Path) -> None:
        self.lines = Lines(stream)
        self.folder = folder
        self.found = _Found()
        self.bounce = False
        self.parts = 0

    def read(self) -> Inbound:
        first = self.lines.next()
        if not first[0].startswith(b"From "):
            self.lines.push(first)  # else an mbox separator line, not a header
        headers = self._headers([])
        if not headers.keys():
            while (piece := self.lines.next()[0]) and not piece.strip():
                pass
            if not piece:
                raise Malformed("an empty file")
        name, sender = sender_of(headers)
        nature, why = nature_of(headers, sender)
        self.bounce = nature is Nature.BOUNCE
        for header in ("From", "To", "Cc", "Date", "Subject"):
            self.lines.digest.update(f"{header}: {header_value(headers, header)}\n".encode())
        self.lines.start_hashing()
        self._part(headers, [], 0)
        while self.lines.next()[0]:
            pass  # whatever follows a broken structure still counts in the content hash
        content_hash = self.lines.digest.hexdigest()
        return Inbound(
            message_id=message_id_of(headers, content_hash),
            sender=sender,
            sender_name=name,
            subject=" ".join(header_value(headers, "Subject").split()),
            text="\n\n".join(t for t in self.found.texts if t),
            files=() if self.bounce else tuple(self.found.files),
            nature=nature,
            why=why,
            references=tuple(
                dict.fromkeys(
                    MESSAGE_ID_RE.findall(
                        header_value(headers, "In-Reply-To")
                        + " "
                        + header_value(headers, "References")
                    )
                )
            ),
            returned=self.found.returned,
            content_hash=content_hash,
        )

    def _headers(self, stack: list[bytes], digest_child: bool = False) -> EmailMessage:
        """A header block, up to its blank line (or the first line that is not a header,
        or a boundary: the part has headers only)."""
        block: list[str] = []
        size = 0
        while size < MAX_HEADER_BLOCK:
            piece, start = self.lines.next()
            if not piece:
                break
            if not piece.strip(b"\r\n") and start:
                break
            if boundary_hit(piece, start, stack) or (start and not HEADER_LINE.match(piece)):
                self.lines.push((piece, start))
                break
            size += len(piece)
            block.append(header_text(piece))
        message = HeaderParser(policy=policy.default).parsestr("".join(block) + "\n")
        assert isinstance(message, EmailMessage)
        if digest_child:
            message.set_default_type("message/rfc822")
        return message

    def _part(self, headers: EmailMessage, stack: list[bytes], depth: int) -> None:
        """Read one part's body (its headers read), up to a boundary of `stack` or the end."""
        content_type = headers.get_content_type()
        maintype = headers.get_content_maintype()
        encoding = headers.get("Content-Transfer-Encoding", "")
        encoding = str(encoding).strip().lower()
        if depth < MAX_DEPTH and maintype == "multipart":
            boundary = headers.get_boundary()
            if boundary:
                self._multipart(headers, boundary.encode("utf-8", "replace"), stack, depth)
            else:
                self._leaf(headers, stack, as_text=True)  # no boundary: the raw text
        elif (
            depth < MAX_DEPTH
            and content_type in ("message/rfc822", "message/global")
            and encoding not in ("base64", "quoted-printable")
        ):
            self._inner(stack, depth, headers_only=False)
        elif depth < MAX_DEPTH and content_type in (
            "text/rfc822-headers",
            "message/rfc822-headers",
        ):
            self._inner(stack, depth, headers_only=True)
        else:
            self._leaf(headers, stack, as_text=None)

    def _multipart(
        self, headers: EmailMessage, boundary: bytes, outer: list[bytes], depth: int
    ) -> None:
        stack = [*outer, boundary]
        own = len(stack) - 1
        preamble = Sink(self._spare(), MAX_TEXT_PART, MAX_ATTACHMENT_BYTES)
        while True:
            piece, start = self.lines.next()
            hit = boundary_hit(piece, start, stack) if piece else None
            if not piece or (hit is not None and hit[0] != own):
                # The boundary never came: the structure is broken, the text is all there is.
                if piece:
                    self.lines.push((piece, start))
                preamble.close()
                self._keep(preamble, headers, as_text=True)
                return
            if hit is not None:
                break
            preamble.write(piece)
        preamble.close()
        preamble.path.unlink(missing_ok=True)  # "This is a MIME message": for old readers
        closing = hit[1]
        alternative = headers.get_content_subtype() == "alternative"
        digest = headers.get_content_subtype() == "digest"
        choices: list[tuple[str, list[str]]] = []
        while not closing:
            child = self._headers(stack, digest_child=digest)
            texts, self.found.texts = self.found.texts, []
            self._part(child, stack, depth + 1)
            choices.append((child.get_content_type(), self.found.texts))
            self.found.texts = texts
            piece, start = self.lines.next()
            hit = boundary_hit(piece, start, stack) if piece else None
            if hit is None:
                break  # the end, before the closing boundary: a truncated message
            if hit[0] != own:
                self.lines.push((piece, start))  # an outer part begins: ours never closed
                break
            closing = hit[1]
        if alternative:
            # One text of the alternatives: the plain one, else the first that has text.
            plain = [texts for kind, texts in choices if kind == "text/plain" and any(texts)]
            some = [texts for _kind, texts in choices if any(texts)]
            self.found.texts.extend((plain or some or [[]])[0])
        else:
            for _kind, texts in choices:
                self.found.texts.extend(texts)
        if closing:
            self._epilogue(headers, outer)

    def _epilogue(self, headers: EmailMessage, outer: list[bytes]) -> None:
        """After the closing boundary, up to the enclosing one: usually nothing; text a
        broken client put there is kept."""
        sink = Sink(self._spare(), MAX_TEXT_PART, MAX_ATTACHMENT_BYTES)
        while True:
            piece, start = self.lines.next()
            if not piece:
                break
            if boundary_hit(piece, start, outer):
                self.lines.push((piece, start))
                break
            sink.write(piece)
        sink.close()
        memory = sink.in_memory
        if memory is not None and not memory.strip():
            return
        self._keep(sink, headers, as_text=True)

    def _inner(self, stack: list[bytes], depth: int, headers_only: bool) -> None:
        """A message inside the message (forwarded, a digest's entry, a returned one): its
        From/Date/Subject as a heading, then its own parts, in place."""
        inner = self._headers(stack)
        heading = ["---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To", "Cc"):
            value = " ".join(header_value(inner, name).split())
            if value:
                heading.append(f"{name}: {value}")
        if self.bounce and not self.found.returned:
            self.found.returned = (
                f"Subject: {header_value(inner, 'Subject')}\n"
                f"Message-ID: {header_value(inner, 'Message-ID')}"
            )
        self.found.texts.append(clean_text("\n".join(heading)))
        if headers_only:
            self._skip(stack)
        else:
            self._part(inner, stack, depth + 1)

    def _skip(self, stack: list[bytes]) -> None:
        while True:
            piece, start = self.lines.next()
            if not piece:
                return
            if boundary_hit(piece, start, stack):
                self.lines.push((piece, start))
                return

    def _leaf(self, headers: EmailMessage, stack: list[bytes], as_text: bool | None) -> None:
        encoding = str(headers.get("Content-Transfer-Encoding", "")).strip().lower()
        if as_text is None:
            as_text = _is_text(headers)
        keep = MAX_TEXT_PART if as_text else 0
        sink = Sink(self._spare(), keep, MAX_ATTACHMENT_BYTES)
        decoder = Decoder(encoding, sink)
        held: bytes | None = None
        while True:
            piece, start = self.lines.next()
            if not piece or boundary_hit(piece, start, stack):
                if piece:
                    self.lines.push((piece, start))
                    # The line break before a boundary belongs to the boundary.
                    if held is not None:
                        held = held.removesuffix(b"\n").removesuffix(b"\r")
                break
            if held is not None:
                decoder.feed(held)
            held = piece
        if held:
            decoder.feed(held)
        decoder.close()
        self._keep(sink, headers, as_text)

    def _keep(self, sink: Sink, headers: EmailMessage, as_text: bool) -> None:
        """A decoded part: its text in the text, or a file (a text too long to be read
        in a description is a file too)."""
        memory = sink.in_memory
        if as_text and memory is not None:
            text = decoded_text(memory, headers.get_content_charset())
            if headers.get_content_subtype() == "html":
                text = html_to_text(text)
            self.found.texts.append(clean_text(text))
            return
        if self.bounce:
            sink.path.unlink(missing_ok=True)
            return
        content_type = headers.get_content_type()
        if as_text and not headers.get_filename():
            content_type = "text/plain" if content_type.startswith("multipart/") else content_type
            ext = ".html" if headers.get_content_subtype() == "html" else ".txt"
            given: str | None = f"text-{len(self.found.files) + 1}{ext}"
        else:
            given = headers.get_filename()
        name = self._name(given, content_type)
        if as_text and sink.kept:
            size = sink.size / (1024 * 1024)
            self.found.texts.append(f"[a text of {size:.1f} MB, kept as the file {name}]")
        if memory is not None:  # a small file: written out now
            sink.path.write_bytes(memory)
        self.found.files.append(
            InboundFile(name, content_type, sink.size, sink.path if sink.kept else None)
        )

    def _name(self, given: str | None, content_type: str) -> str:
        name = file_name(given, content_type, len(self.found.files) + 1)
        stem, dot, ext = name.rpartition(".")
        count = 1
        while name.lower() in self.found.names:
            count += 1
            name = f"{stem or ext}-{count}{dot}{ext if stem else ''}"
        self.found.names.add(name.lower())
        return name

    def _spare(self) -> Path:
        """A new file name in the folder for one part (its real name is given later)."""
        self.parts += 1
        return self.folder / f"part-{self.parts}"


def _is_text(headers: EmailMessage) -> bool:
    """A part read as text: text/* not sent as an attachment (an inline text part with a
    file name is text too: clients put one on every part), and a delivery report."""
    if headers.get_content_disposition() == "attachment":
        return False
    kind = headers.get_content_type()
    return headers.get_content_maintype() == "text" or kind == "message/delivery-status"
