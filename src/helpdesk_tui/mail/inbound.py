"""Incoming mail, read as untrusted text: who sent it, what it says, what it carries,
and whether a person or a machine sent it.

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

import binascii
import codecs
import enum
import hashlib
import io
import mimetypes
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from ..domain.model import MAX_ATTACHMENT_BYTES
from ..domain.text import PLACEHOLDER, safe_line, safe_text

MAX_MESSAGE = 150 * 1024 * 1024
"""A message larger than this is kept aside unread (90 MB attachments, base64-encoded)."""

MAX_TEXT_PART = 4 * 1024 * 1024
"""A text part larger than this (decoded) is kept as a file, its start quoted in the text:
a description holds 1 MB, and text is the one thing held in memory."""

MAX_HEADER_BLOCK = 1024 * 1024
"""Header lines beyond this are read as the body: no header block costs memory unbounded."""

MAX_DEPTH = 30
"""MIME nesting deeper than this is kept as a file: a nesting bomb costs no recursion."""

_CHUNK = 64 * 1024
"""The longest piece of a line read at once; a longer line comes in pieces."""

ADDRESS_RE = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,900}>")
_HEADER_LINE = re.compile(rb"^([\041-\071\073-\176]+[ \t]*:|[ \t])")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(c for c in range(256) if c not in _BASE64_ALPHABET)
_MAX_NAME_BYTES = 200
"""File names are cut to this many UTF-8 bytes: a file system takes 255, and 200 characters
of a script beyond Latin are up to 800."""


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


# --- reading the MIME structure as a stream ---------------------------------------------


class _Lines:
    """A binary stream as lines (a longer line in pieces), one line of look-back, and the
    content hash of everything read once `hashing` is on."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.pushed: tuple[bytes, bool] | None = None
        self.at_start = True
        self.digest = hashlib.sha256()
        self.hashing = False

    def next(self) -> tuple[bytes, bool]:
        """The next piece and whether it starts a line; b"" at the end."""
        if self.pushed is not None:
            again, self.pushed = self.pushed, None
            return again
        piece = self.stream.readline(_CHUNK)
        start, self.at_start = self.at_start, piece.endswith(b"\n")
        if self.hashing:
            self.digest.update(piece)
        return piece, start

    def push(self, piece: tuple[bytes, bool]) -> None:
        self.pushed = piece

    def start_hashing(self) -> None:
        self.hashing = True
        if self.pushed is not None:  # read before, but part of the body
            self.digest.update(self.pushed[0])


def _boundary_hit(piece: bytes, start: bool, stack: list[bytes]) -> tuple[int, bool] | None:
    """Which boundary of `stack` this line is (innermost first), and whether it closes."""
    if not start or not piece.startswith(b"--") or not stack:
        return None
    line = piece.rstrip(b" \t\r\n")
    for index in range(len(stack) - 1, -1, -1):
        dashed = b"--" + stack[index]
        if line == dashed:
            return index, False
        if line == dashed + b"--":
            return index, True
    return None


class _Sink:
    """Decoded bytes of one part: in memory up to `keep` bytes, else in a file; past
    `limit` only counted (the file is removed), as a too-large attachment is."""

    def __init__(self, path: Path, keep: int, limit: int) -> None:
        self.path, self.keep, self.limit = path, keep, limit
        self.memory: io.BytesIO | None = io.BytesIO()
        self.file: BinaryIO | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self._drop_file()
            return
        if self.memory is not None and self.size > self.keep:
            self.file = self.path.open("xb")
            self.file.write(self.memory.getvalue())
            self.memory = None
        if self.file is not None:
            self.file.write(data)
        elif self.memory is not None:
            self.memory.write(data)

    def _drop_file(self) -> None:
        self.memory = None
        if self.file is not None:
            self.file.close()
            self.file = None
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    @property
    def in_memory(self) -> bytes | None:
        return None if self.memory is None else self.memory.getvalue()

    @property
    def kept(self) -> bool:
        return self.size <= self.limit


class _Decoder:
    """A Content-Transfer-Encoding undone line by line into a sink."""

    def __init__(self, encoding: str, sink: _Sink) -> None:
        self.encoding = encoding if encoding in ("base64", "quoted-printable") else "identity"
        self.sink = sink
        self.pending = b""

    def feed(self, piece: bytes) -> None:
        if self.encoding == "identity":
            self.sink.write(piece)
        elif self.encoding == "quoted-printable":
            self.sink.write(binascii.a2b_qp(piece))
        else:
            self.pending += piece.translate(None, _NOT_BASE64)
            if len(self.pending) >= _CHUNK:
                self._base64(final=False)

    def close(self) -> None:
        if self.encoding == "base64":
            self._base64(final=True)
        self.sink.close()

    def _base64(self, final: bool) -> None:
        # Padding inside the data (parts glued together) ends a run: decode runs apart.
        runs = re.split(rb"(?<==)(?=[^=])", self.pending)
        last = runs.pop()
        cut = len(last) if final else len(last) - len(last) % 4
        if final and cut % 4:
            last += b"=" * (-cut % 4)
            cut = len(last)
        for run in [*runs, last[:cut]]:
            try:
                self.sink.write(binascii.a2b_base64(run))
            except binascii.Error:
                self.sink.write(run)  # not base64 after all: the text as it came
        self.pending = last[cut:]


@dataclass(slots=True)
class _Found:
    texts: list[str] = field(default_factory=list)
    files: list[InboundFile] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    returned: str = ""


class _Reader:
    def __init__(self, stream: BinaryIO, folder: Path) -> None:
        self.lines = _Lines(stream)
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
        name, sender = _sender(headers)
        nature, why = _nature(headers, sender)
        self.bounce = nature is Nature.BOUNCE
        for header in ("From", "To", "Cc", "Date", "Subject"):
            self.lines.digest.update(f"{header}: {_header(headers, header)}\n".encode())
        self.lines.start_hashing()
        self._part(headers, [], 0)
        while self.lines.next()[0]:
            pass  # whatever follows a broken structure still counts in the content hash
        content_hash = self.lines.digest.hexdigest()
        return Inbound(
            message_id=_message_id(headers, content_hash),
            sender=sender,
            sender_name=name,
            subject=" ".join(_header(headers, "Subject").split()),
            text="\n\n".join(t for t in self.found.texts if t),
            files=() if self.bounce else tuple(self.found.files),
            nature=nature,
            why=why,
            references=tuple(
                dict.fromkeys(
                    MESSAGE_ID_RE.findall(
                        _header(headers, "In-Reply-To") + " " + _header(headers, "References")
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
            if _boundary_hit(piece, start, stack) or (start and not _HEADER_LINE.match(piece)):
                self.lines.push((piece, start))
                break
            size += len(piece)
            block.append(_header_text(piece))
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
        preamble = _Sink(self._spare(), MAX_TEXT_PART, MAX_ATTACHMENT_BYTES)
        while True:
            piece, start = self.lines.next()
            hit = _boundary_hit(piece, start, stack) if piece else None
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
            hit = _boundary_hit(piece, start, stack) if piece else None
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
        sink = _Sink(self._spare(), MAX_TEXT_PART, MAX_ATTACHMENT_BYTES)
        while True:
            piece, start = self.lines.next()
            if not piece:
                break
            if _boundary_hit(piece, start, outer):
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
            value = " ".join(_header(inner, name).split())
            if value:
                heading.append(f"{name}: {value}")
        if self.bounce and not self.found.returned:
            self.found.returned = (
                f"Subject: {_header(inner, 'Subject')}\nMessage-ID: {_header(inner, 'Message-ID')}"
            )
        self.found.texts.append(_clean_text("\n".join(heading)))
        if headers_only:
            self._skip(stack)
        else:
            self._part(inner, stack, depth + 1)

    def _skip(self, stack: list[bytes]) -> None:
        while True:
            piece, start = self.lines.next()
            if not piece:
                return
            if _boundary_hit(piece, start, stack):
                self.lines.push((piece, start))
                return

    def _leaf(self, headers: EmailMessage, stack: list[bytes], as_text: bool | None) -> None:
        encoding = str(headers.get("Content-Transfer-Encoding", "")).strip().lower()
        if as_text is None:
            as_text = _is_text(headers)
        keep = MAX_TEXT_PART if as_text else 0
        sink = _Sink(self._spare(), keep, MAX_ATTACHMENT_BYTES)
        decoder = _Decoder(encoding, sink)
        held: bytes | None = None
        while True:
            piece, start = self.lines.next()
            if not piece or _boundary_hit(piece, start, stack):
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

    def _keep(self, sink: _Sink, headers: EmailMessage, as_text: bool) -> None:
        """A decoded part: its text in the text, or a file (a text too long to be read
        in a description is a file too)."""
        memory = sink.in_memory
        if as_text and memory is not None:
            text = _decoded(memory, headers.get_content_charset())
            if headers.get_content_subtype() == "html":
                text = html_to_text(text)
            self.found.texts.append(_clean_text(text))
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
        name = _file_name(given, content_type, len(self.found.files) + 1)
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


def _header_text(line: bytes) -> str:
    """A raw header line as text: 8-bit bytes as UTF-8, else as Latin-1 (which reads any);
    an encoded word in a charset nobody knows, likewise."""
    text = _utf8_or_latin1(line)
    return _UNKNOWN_WORD.sub(_known_word, text) if "=?" in text else text


_UNKNOWN_WORD = re.compile(r"=\?([^?*\s]+)(?:\*[^?]*)?\?([qQbB])\?([^?\s]*)\?=")


def _known_word(word: re.Match[str]) -> str:
    try:
        codecs.lookup(word[1])
        return word[0]  # the email package decodes it
    except LookupError:
        pass
    data = word[3].encode("ascii", "replace")
    try:
        if word[2] in "qQ":
            raw = binascii.a2b_qp(data.replace(b"_", b" "), header=True)
        else:
            raw = binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except binascii.Error:
        return word[0]
    return _utf8_or_latin1(raw)


def _utf8_or_latin1(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _decoded(data: bytes, charset: str | None) -> str:
    """A text part's bytes as text: its charset if it holds, else UTF-8, else Latin-1
    (clients declare us-ascii over 8-bit text; an unknown charset reads as UTF-8)."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            codecs.lookup(candidate)
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1")


def _unsurrogate(text: str) -> str:
    """Text the email package left raw bytes in (an unknown charset in an encoded word)
    as real characters: UTF-8, else Latin-1. A store refuses lone surrogates."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else _printable(str(value))


def _printable(text: str) -> str:
    # A header is one line: an escape sequence removed whole, newlines and tabs spaces.
    text = _unsurrogate(text)
    line = safe_line(text)
    return line if PLACEHOLDER in text else line.replace(PLACEHOLDER, "")


def _sender(message: EmailMessage) -> tuple[str, str]:
    header = message.get("From")
    if header is None:
        raise Malformed("no From header: nobody to answer")
    addresses = getattr(header, "addresses", ())
    if not addresses:
        raise Malformed(f"the From header holds no address: {_printable(str(header))[:100]!r}")
    first = addresses[0]
    address = _unsurrogate(str(first.addr_spec)).strip()
    if not ADDRESS_RE.match(address):
        raise Malformed(f"the From address is not usable: {address[:100]!r}")
    return " ".join(_printable(str(first.display_name)).split()), address


_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|out of (the )?office|abwesenheitsnotiz)\b",
    re.IGNORECASE,
)


def _nature(message: EmailMessage, sender: str) -> tuple[Nature, str]:
    local = sender.split("@", 1)[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return Nature.BOUNCE, f"From: {sender}"
    content_type = message.get_content_type()
    report = _printable(str(message.get_param("report-type", "") or "")).lower()
    if content_type == "multipart/report" and report == "delivery-status":
        return Nature.BOUNCE, "a delivery status report (multipart/report)"
    if content_type == "multipart/report":
        return Nature.AUTOMATIC, f"a {report or 'machine'} report (multipart/report)"
    submitted = _header(message, "Auto-Submitted").strip().lower()
    if submitted and submitted != "no":
        return Nature.AUTOMATIC, f"Auto-Submitted: {submitted[:40]}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return Nature.AUTOMATIC, f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(name) is not None:
            return Nature.AUTOMATIC, f"{name} header"
    if _header(message, "Return-Path").strip() == "<>":
        return Nature.AUTOMATIC, "null Return-Path"
    for name in ("List-Id", "List-Unsubscribe"):
        if message.get(name) is not None:
            return Nature.AUTOMATIC, f"a mailing list ({name})"
    if _AUTO_SUBJECT.match(_header(message, "Subject")):
        return Nature.AUTOMATIC, "an automatic-reply subject"
    return Nature.PERSON, ""


def _message_id(message: EmailMessage, content_hash: str) -> str:
    found = MESSAGE_ID_RE.search(_header(message, "Message-ID"))
    if found:
        return found.group(0)
    # No usable id: one made of the content, so the same mail is still taken in once.
    return f"<sha256.{content_hash}@helpdesk.invalid>"


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Newlines and tabs kept; an escape sequence goes whole (the domain's one sanitiser).
    # Its placeholder says nothing in stored text (colours pasted from a terminal would
    # dot every line), so it is dropped, unless the text had some of its own already.
    cleaned = safe_text(text)
    if PLACEHOLDER not in text:
        cleaned = cleaned.replace(PLACEHOLDER, "")
    return cleaned.strip("\n")


def _file_name(given: str | None, content_type: str, number: int) -> str:
    """A file name safe to show and to store: no folders, no control characters, at most
    200 characters and _MAX_NAME_BYTES bytes (cut before the extension)."""
    name = _printable(given or "").strip()
    name = PureWindowsPath(PurePosixPath(name).name).name.strip(" .")
    if not name:
        ext = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{number}{ext}"
    name = name[:200]
    if len(name.encode()) <= _MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not stem or len(ext.encode()) > 20:
        stem, dot, ext = name, "", ""
    room = _MAX_NAME_BYTES - len(f"{dot}{ext}".encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{stem}{dot}{ext}"


# --- HTML to text ----------------------------------------------------------------------

_HEADINGS = {f"h{n}" for n in range(1, 7)}
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "table", "ul", "ol", "hr", "pre"} | _HEADINGS)
_KEPT = "\ue000"  # a private-use character: never in text worth keeping
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.out.append("\n")
            self.pre += tag == "pre"
            if tag == "li":
                self.out.append("- ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[image: {alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.pre -= tag == "pre" and self.pre > 0
            self.out.append("\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.out.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        # Preformatted spaces are kept through the line trimming below as a stand-in.
        self.out.append(data.replace(" ", _KEPT) if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: paragraphs as lines, links as <url>, no markup."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [line.strip(" \t") for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines).replace(_KEPT, " ")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- what the customer wrote above the quote --------------------------------------------

_QUOTE_START = re.compile(
    r"^(-{2,}\s*original message\s*-{2,}|_{10,}|-- ?$|from:\s.+|on .{0,200}wrote:\s*$"
    r"|le .{0,200}a écrit\s*:\s*$|am .{0,200}schrieb .{0,200}:\s*$)",
    re.IGNORECASE,
)


def reply_part(text: str) -> str:
    """What a reply says above the quoted earlier message and the signature."""
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">") or _QUOTE_START.match(stripped):
            break
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if stripped.lower().startswith("on ") and following.lower().endswith("wrote:"):
            break  # "On Tue, 3 Mar 2026, Maria <m@x>\nwrote:" as wrapped by clients
        kept.append(line)
    return "\n".join(kept).strip()


_SCORE = re.compile(
    r"^\s*\**([1-5])\**(?![0-9])(?![.,][0-9])(?:\s*(?:/|out of|of)\s*5)?(?:\s*(?:stars?|points?))?"
    r"\s*[-–—:.,!)]*\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_CONFIRM = re.compile(
    r"^(?:i\s+)?(?:confirm(?:ed)?|solved|resolved|fixed|it\s+works)\b[\s,.!]*"
    r"(?:(?:many\s+)?thanks?(?:\s+you)?(?:\s+\w+)?[\s,.!]*)?$",
    re.IGNORECASE,
)


def score_of(text: str) -> tuple[int, str] | None:
    """A survey answer: the score on the first line of the reply, and the comment after it."""
    reply = reply_part(text)
    first, _, rest = reply.partition("\n")
    match = _SCORE.match(first)
    if match is None:
        return None
    comment = "\n".join(part for part in (match["rest"].strip(), rest.strip()) if part)
    return int(match[1]), comment


def is_confirmation(text: str) -> bool:
    """The reply says only that the resolution worked ("CONFIRM", "Solved, thanks!")."""
    return bool(_CONFIRM.match(" ".join(reply_part(text).split())))
