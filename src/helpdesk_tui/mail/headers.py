"""Header blocks read as untrusted text: raw 8-bit bytes and encoded words in unknown
charsets decoded (UTF-8, else Latin-1), each header one printable line; the sender, the
Message-ID and whether a person or a machine sent the mail."""

from __future__ import annotations

import binascii
import codecs
import re
from email.message import EmailMessage, Message

from ..domain.text import PLACEHOLDER, safe_line
from .inbound import Malformed, Nature

ADDRESS_RE = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,900}>")
HEADER_LINE = re.compile(rb"^([\041-\071\073-\176]+[ \t]*:|[ \t])")


def header_text(line: bytes) -> str:
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


def unsurrogate(text: str) -> str:
    """Text the email package left raw bytes in (an unknown charset in an encoded word)
    as real characters: UTF-8, else Latin-1. A store refuses lone surrogates."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def header_value(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else printable(str(value))


def printable(text: str) -> str:
    # A header is one line: an escape sequence removed whole, newlines and tabs spaces.
    text = unsurrogate(text)
    line = safe_line(text)
    return line if PLACEHOLDER in text else line.replace(PLACEHOLDER, "")


def sender_of(message: EmailMessage) -> tuple[str, str]:
    header = message.get("From")
    if header is None:
        raise Malformed("no From header: nobody to answer")
    addresses = getattr(header, "addresses", ())
    if not addresses:
        raise Malformed(f"the From header holds no address: {printable(str(header))[:100]!r}")
    first = addresses[0]
    address = unsurrogate(str(first.addr_spec)).strip()
    if not ADDRESS_RE.match(address):
        raise Malformed(f"the From address is not usable: {address[:100]!r}")
    return " ".join(printable(str(first.display_name)).split()), address


_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|out of (the )?office|abwesenheitsnotiz)\b",
    re.IGNORECASE,
)


def nature_of(message: EmailMessage, sender: str) -> tuple[Nature, str]:
    local = sender.split("@", 1)[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return Nature.BOUNCE, f"From: {sender}"
    content_type = message.get_content_type()
    report = printable(str(message.get_param("report-type", "") or "")).lower()
    if content_type == "multipart/report" and report == "delivery-status":
        return Nature.BOUNCE, "a delivery status report (multipart/report)"
    if content_type == "multipart/report":
        return Nature.AUTOMATIC, f"a {report or 'machine'} report (multipart/report)"
    submitted = header_value(message, "Auto-Submitted").strip().lower()
    if submitted and submitted != "no":
        return Nature.AUTOMATIC, f"Auto-Submitted: {submitted[:40]}"
    precedence = header_value(message, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return Nature.AUTOMATIC, f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(name) is not None:
            return Nature.AUTOMATIC, f"{name} header"
    if header_value(message, "Return-Path").strip() == "<>":
        return Nature.AUTOMATIC, "null Return-Path"
    for name in ("List-Id", "List-Unsubscribe"):
        if message.get(name) is not None:
            return Nature.AUTOMATIC, f"a mailing list ({name})"
    if _AUTO_SUBJECT.match(header_value(message, "Subject")):
        return Nature.AUTOMATIC, "an automatic-reply subject"
    return Nature.PERSON, ""


def message_id_of(message: EmailMessage, content_hash: str) -> str:
    found = MESSAGE_ID_RE.search(header_value(message, "Message-ID"))
    if found:
        return found.group(0)
    # No usable id: one made of the content, so the same mail is still taken in once.
    return f"<sha256.{content_hash}@helpdesk.invalid>"
