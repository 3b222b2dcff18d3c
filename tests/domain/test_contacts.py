"""A ticket's contacts as people read them: names as typed, addresses found again."""

from __future__ import annotations

from email.utils import getaddresses

import pytest

from helpdesk_tui.domain.model import contact_address, contact_line


@pytest.mark.parametrize(
    ("name", "address", "line"),
    [
        ("Ann Zürich", "ann@x.example", "Ann Zürich <ann@x.example>"),
        ("  Bo   Svensson ", " bo@x.example ", "Bo Svensson <bo@x.example>"),
        ("Svensson, Bo", "bo@x.example", '"Svensson, Bo" <bo@x.example>'),
        ('Say "hi"', "hi@x.example", '"Say \\"hi\\"" <hi@x.example>'),
        ("", "cy@x.example", "cy@x.example"),
        ("李小龍", "lee@x.example", "李小龍 <lee@x.example>"),
    ],
)
def test_a_contact_keeps_its_name_as_typed_and_its_address(
    name: str, address: str, line: str
) -> None:
    assert contact_line(name, address) == line
    assert "=?" not in line  # never a MIME encoded word: people read it
    assert contact_address(line) == address.strip()
    # The edit form reads a list of them back, a comma in a quoted name included.
    [(read_name, read_address)] = getaddresses([line])
    assert (read_name, read_address) == (" ".join(name.split()), address.strip())
