"""Untrusted text made safe to show: what customers and remote backends wrote never
reaches a terminal as a control or escape sequence.

Escape sequences (CSI, OSC, DCS, ...) are removed whole and replaced by one visible
placeholder; other C0 controls (but newline and tab), DEL and C1 controls become
the placeholder too. Markup is not this module's business: the UI renders the
result as plain `rich.text.Text`, never as markup.
"""

from __future__ import annotations

import re

PLACEHOLDER = "\N{REPLACEMENT CHARACTER}"

# ESC [ ... final byte (CSI), ESC ] ... BEL/ST (OSC), ESC P/X/^/_ ... ST (DCS, SOS, PM, APC),
# then any other two-byte ESC sequence; 8-bit CSI (0x9b) and OSC (0x9d) forms likewise.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?
  | (?:\x1b\]|\x9d).*?(?:\x07|\x1b\\|\x9c|$)
  | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]).*?(?:\x1b\\|\x9c|$)
  | \x1b[\x20-\x7e]?
    """,
    re.VERBOSE | re.DOTALL,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Bidirectional overrides can make text read differently than it is (Trojan Source)."""


def safe_text(text: str) -> str:
    """`text` with every escape sequence and control character made visible and inert."""
    if text.isprintable():  # fast path: most text has nothing to strip
        return text
    text = _ESCAPES.sub(PLACEHOLDER, text)
    text = _CONTROLS.sub(PLACEHOLDER, text.replace("\r\n", "\n"))
    return _BIDI.sub(PLACEHOLDER, text)


def plain_output(text: str) -> str:
    """A command's output as text to keep: colour and cursor escape sequences and control
    characters removed (not shown as placeholders: `ls --color | ...` reads as plain
    text), carriage-return progress lines reduced to their last state, tabs expanded,
    the lines and their spacing otherwise as they were."""
    lines = []
    for line in _ESCAPES.sub("", text).replace("\r\n", "\n").split("\n"):
        line = line.rsplit("\r", 1)[-1]  # a progress bar redrawn in place: its last frame
        lines.append(_CONTROLS.sub("", line.expandtabs(8)))
    return _BIDI.sub("", "\n".join(lines))


def safe_line(text: str) -> str:
    """Like `safe_text`, for one table cell: newlines and tabs become spaces."""
    if text.isprintable():
        return text
    text = _ESCAPES.sub(PLACEHOLDER, text)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    text = _CONTROLS_ONE_LINE.sub(PLACEHOLDER, text)
    return _BIDI.sub(PLACEHOLDER, text)


def N_(message: str) -> str:
    """Mark `message` for the translation catalogues without translating it: the domain
    names things in English, the outer rings translate them (settings.i18n)."""
    return message
