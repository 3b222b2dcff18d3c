"""Incoming mail, read as untrusted text: who sent it, what it says, what it carries,
and whether a person or a machine sent it.

Nothing in a message is interpreted: HTML is turned into plain text here (html.parser,
no scripts, no styles, no remote content), and from then on the text is only text.
Mail that cannot be read (no sender, unparseable, too large) raises `Malformed` with
the reason; the caller keeps it aside, it is never dropped.
"""

from __future__ import annotations

import enum
import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath

MAX_MESSAGE = 150 * 1024 * 1024
"""A message larger than this is kept aside unread (90 MB attachments, base64-encoded)."""

ADDRESS_RE = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,900}>")


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
    data: bytes


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


def parse(raw: bytes) -> Inbound:
    """Read one message (RFC 5322 bytes); raise Malformed if it cannot be taken in."""
    if not raw.strip():
        raise Malformed("an empty file")
    if len(raw) > MAX_MESSAGE:
        raise Malformed(f"larger than {MAX_MESSAGE // (1024 * 1024)} MB")
    try:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return _read(message, raw)
    except Malformed:
        raise
    except Exception as exc:  # the email package fails in many ways on hostile input
        raise Malformed(f"cannot be parsed: {type(exc).__name__}: {exc}"[:300]) from None


def _read(message: EmailMessage, raw: bytes) -> Inbound:
    name, sender = _sender(message)
    nature, why = _nature(message, sender)
    subject = " ".join(_header(message, "Subject").split())
    text = _text(message)
    returned = _returned(message) if nature is Nature.BOUNCE else ""
    files = () if nature is Nature.BOUNCE else tuple(_files(message))
    return Inbound(
        message_id=_message_id(message, raw),
        sender=sender,
        sender_name=name,
        subject=subject,
        text=text,
        files=files,
        nature=nature,
        why=why,
        references=tuple(
            dict.fromkeys(
                MESSAGE_ID_RE.findall(
                    _header(message, "In-Reply-To") + " " + _header(message, "References")
                )
            )
        ),
        returned=returned,
    )


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else _printable(str(value))


def _printable(text: str) -> str:
    # Control characters in a header are never meant for people (nor for a terminal).
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def _sender(message: EmailMessage) -> tuple[str, str]:
    header = message.get("From")
    if header is None:
        raise Malformed("no From header: nobody to answer")
    addresses = getattr(header, "addresses", ())
    if not addresses:
        raise Malformed(f"the From header holds no address: {_printable(str(header))[:100]!r}")
    first = addresses[0]
    address = str(first.addr_spec).strip()
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
    report = str(message.get_param("report-type", "") or "").lower()
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


def _message_id(message: EmailMessage, raw: bytes) -> str:
    found = MESSAGE_ID_RE.search(_header(message, "Message-ID"))
    if found:
        return found.group(0)
    # No usable id: one made of the content, so the same file is still taken in once.
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@helpdesk.invalid>"


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _decoded(body)
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    return _clean_text(text)


def _decoded(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, ValueError, AssertionError):
        pass  # an unknown or lying charset: fall back to bytes read leniently
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Keep newlines and tabs; every other control character (escape sequences) goes.
    return "".join(
        c if c in "\n\t" or unicodedata.category(c) != "Cc" else " " for c in text
    ).strip("\n")


def _files(message: EmailMessage) -> list[InboundFile]:
    body = message.get_body(preferencelist=("plain", "html"))
    found: list[InboundFile] = []
    names: set[str] = set()
    for part in message.walk():
        if part is body or part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        maintype = part.get_content_maintype()
        if disposition != "attachment" and maintype in ("text", "multipart"):
            continue  # an alternative of the body, not a file
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = part.as_bytes()
        name = _file_name(part.get_filename(), part.get_content_type(), len(found) + 1)
        stem, dot, ext = name.rpartition(".")
        count = 1
        while name.lower() in names:
            count += 1
            name = f"{stem or ext}-{count}{dot}{ext if stem else ''}"
        names.add(name.lower())
        found.append(InboundFile(name, part.get_content_type(), data))
    return found


def _file_name(given: str | None, content_type: str, number: int) -> str:
    """A file name safe to show and to store: no folders, no control characters."""
    name = _printable(given or "").strip()
    name = PureWindowsPath(PurePosixPath(name).name).name.strip(" .")
    if not name:
        ext = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{number}{ext}"
    return name[:200]


def _returned(message: EmailMessage) -> str:
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if not isinstance(inner, Message):
                inner = message_from_bytes(_bytes_of(part), policy=policy.default)
            return (
                f"Subject: {_header(inner, 'Subject')}\nMessage-ID: {_header(inner, 'Message-ID')}"
            )
    return ""


def _bytes_of(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else str(part.get_payload()).encode()


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
