"""Untrusted text never carries a control or escape sequence to the terminal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_tui.domain.text import PLACEHOLDER, safe_line, safe_text

HOSTILE = [
    "\x1b[2J\x1b[H",  # clear screen, home
    "\x1b]0;pwned\x07",  # set window title (OSC, BEL)
    "\x1b]52;c;Y3VybCBldmlsfHNo\x1b\\",  # OSC 52: write the clipboard
    "\x1bP+q544e\x1b\\",  # DCS request
    "\x9b31m",  # 8-bit CSI
    "a\x00b\x07c\x08d\x7fe",
    "\u202eevil",  # right-to-left override
    "\x1b",  # lone ESC at the end
]


@pytest.mark.parametrize("bad", HOSTILE)
def test_no_escape_or_control_survives(bad: str) -> None:
    for out in (safe_text("ok " + bad + " ok"), safe_line("ok " + bad + " ok")):
        assert "\x1b" not in out and "\x9b" not in out
        assert not any(ord(c) < 32 and c not in "\n\t" for c in out)
        assert not any(0x7F <= ord(c) <= 0x9F for c in out)
        assert "\u202e" not in out
        assert PLACEHOLDER in out


def test_escape_sequence_replaced_whole() -> None:
    assert safe_text("red \x1b[31mtext") == f"red {PLACEHOLDER}text"
    assert safe_text("t\x1b]0;title\x07x") == f"t{PLACEHOLDER}x"


def test_plain_text_and_newlines_kept() -> None:
    assert safe_text("Hej då,\n\tçava? [bold]x[/]") == "Hej då,\n\tçava? [bold]x[/]"
    assert safe_line("two\nlines\ttab") == "two lines tab"


@given(st.text())
def test_property_nothing_dangerous_survives(text: str) -> None:
    for out in (safe_text(text), safe_line(text)):
        assert "\x1b" not in out
        assert all(c in "\n\t" or (ord(c) >= 32 and not 0x7F <= ord(c) <= 0x9F) for c in out)
