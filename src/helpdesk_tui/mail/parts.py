"""What a decoded part becomes: text in its charset, cleaned of anything a terminal
would act on; or a file, under a name safe to show and to store."""

from __future__ import annotations

import codecs
import mimetypes
from pathlib import PurePosixPath, PureWindowsPath

from ..domain.text import PLACEHOLDER, safe_text
from .headers import printable

_MAX_NAME_BYTES = 200
"""File names are cut to this many UTF-8 bytes: a file system takes 255, and 200 characters
of a script beyond Latin are up to 800."""


def decoded_text(data: bytes, charset: str | None) -> str:
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


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Newlines and tabs kept; an escape sequence goes whole (the domain's one sanitiser).
    # Its placeholder says nothing in stored text (colours pasted from a terminal would
    # dot every line), so it is dropped, unless the text had some of its own already.
    cleaned = safe_text(text)
    if PLACEHOLDER not in text:
        cleaned = cleaned.replace(PLACEHOLDER, "")
    return cleaned.strip("\n")


def file_name(given: str | None, content_type: str, number: int) -> str:
    """A file name safe to show and to store: no folders, no control characters, at most
    200 characters and _MAX_NAME_BYTES bytes (cut before the extension)."""
    name = printable(given or "").strip()
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
