"""What the customer wrote above the quote: the reply itself, a survey score, a
confirmation that the resolution worked."""

from __future__ import annotations

import re

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
