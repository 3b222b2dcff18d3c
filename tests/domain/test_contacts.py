"""A ticket's contacts as people read them: names as typed, addresses found again."""

from __future__ import annotations

import re
from email.utils import getaddresses

import pytest

from helpdesk_tui.domain.model import (
    InvalidTicket,
    check_contact,
    contact_address,
    contact_line,
)


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


@pytest.mark.parametrize(
    ("contact", "said"),
    [
        ("a@example.com, b@example.com", "holds 2 addresses"),
        ("Doe, John <john@example.com>", 'needs quotes: "Doe, John" <john@example.com>'),
        ("John Doe", "is not an e-mail address"),
        ("", "is not an e-mail address"),
    ],
)
def test_a_contact_is_one_address_and_says_what_else_it_is(contact: str, said: str) -> None:
    with pytest.raises(InvalidTicket, match=re.escape(said)):
        check_contact(contact)


@pytest.mark.parametrize(
    "contact", ['"Doe, John" <john@example.com>', "john@example.com", "Bo <bo@example.com>"]
)
def test_one_address_with_or_without_a_name_passes(contact: str) -> None:
    check_contact(contact)  # raises on failure
    assert contact_address(contact).endswith("@example.com")
