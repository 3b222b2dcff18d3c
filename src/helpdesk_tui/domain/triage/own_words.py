"""The customer's own words: a message without the quoted earlier mail, the forwarded
headers and the signature.

One implementation for the mail intake (a reply's answer above the quote) and triage
(text that is not the customer's own carries no signal: a signature reading "24/7
Outage Hotline" under a question is not an outage). English, Swedish and Portuguese
forms, and the common client headers of other languages the intake already knew.
"""

from __future__ import annotations

import re

_ATTRIBUTION = (
    r"on .{0,200}wrote:"
    r"|den .{0,200}skrev .{0,200}:|.{0,200} skrev:"
    r"|em .{0,200}escreveu:|.{0,200} escreveu:"
    r"|le .{0,200}a écrit\s*:|am .{0,200}schrieb .{0,200}:"
)
_QUOTE_START = re.compile(
    rf"^(?:-{{2,}}\s*(?:original message|ursprungligt meddelande|mensagem original)\s*-{{2,}}"
    rf"|_{{10,}}|-- ?|(?:{_ATTRIBUTION})\s*)$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^-{2,}\s*(?:forwarded message|vidarebefordrat meddelande|mensagem encaminhada"
    r"|begin forwarded message)\s*-*:?$",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^(?:from|sent|to|cc|date|subject|från|skickat|till|ämne|datum|de|enviad[ao]|para"
    r"|assunto|data)\s*:",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(?:(?:best|kind|warm|many)\s+(?:regards|wishes|thanks)|regards|cheers|thanks(?: again)?"
    r"|thank you|sincerely|yours(?: sincerely| truly)?"
    r"|med vänliga hälsningar|vänliga hälsningar|mvh|hälsningar|tack(?: på förhand)?"
    r"|atenciosamente|att\.?|obrigad[oa]|cumprimentos|abraços?|grat[oa])\s*[,.!]?$",
    re.IGNORECASE,
)
SIGNATURE_LINES = 6
"""A closing ("Best regards") this near the end starts a signature: name, title, phone."""


def reply_above_quote(text: str) -> str:
    """What a reply says above the quoted earlier message and the signature delimiter."""
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">") or _QUOTE_START.match(stripped):
            break
        following = lines[index + 1].strip().lower() if index + 1 < len(lines) else ""
        if stripped.lower().startswith(("on ", "den ", "em ")) and following.endswith(
            ("wrote:", "skrev:", "escreveu:")
        ):
            break  # "On Tue, 3 Mar 2026, Maria <m@x>\nwrote:" as wrapped by clients
        kept.append(line)
    return "\n".join(kept).strip()


def own_words(text: str) -> str:
    """`text` without quoted replies ("> ..." lines, "On ... wrote:" and all below),
    forwarded-message headers (the banner and its From:/Sent:/To:/Subject: block) and the
    signature (a "-- " line, or a closing such as "Best regards" near the end and the
    name, title and phone lines after it)."""
    lines = _without_forward_headers(text.replace("\r\n", "\n").split("\n"))
    kept = reply_above_quote("\n".join(lines)).split("\n")
    return "\n".join(_without_signature(kept)).strip()


def _without_forward_headers(lines: list[str]) -> list[str]:
    kept: list[str] = []
    in_headers = False
    for line in lines:
        stripped = line.strip()
        if _FORWARD.match(stripped):
            in_headers = True
            continue
        if in_headers:
            if _HEADER.match(stripped):
                continue
            if not stripped:
                in_headers = False
                continue
            in_headers = False
        elif stripped.lower().startswith(("from:", "från:", "de:")) and _header_block(lines, line):
            break  # a bare header block (Outlook's reply, no banner): what follows is quoted
        kept.append(line)
    return kept


def _header_block(lines: list[str], first: str) -> bool:
    """`first` opens two or more header lines in a row: a quoted mail's headers."""
    start = lines.index(first)
    run = 0
    for line in lines[start : start + 5]:
        if not _HEADER.match(line.strip()):
            break
        run += 1
    return run >= 2


def _without_signature(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    for index in range(max(0, len(lines) - SIGNATURE_LINES - 1), len(lines)):
        if _CLOSING.match(lines[index].strip()) and index > 0:
            return lines[:index]
    return lines
