"""The note a merge leaves on the kept ticket says what moved, in words a person writes."""

from __future__ import annotations

import pytest

from helpdesk_tui.service.merging import _note
from tests.store.conftest import make_ticket


@pytest.mark.parametrize(
    ("messages", "said"),
    [
        (0, "its files (it had no messages) are in this conversation now"),
        (1, "its message and its files are in this conversation now"),
        (3, "its 3 messages and its files are in this conversation now"),
    ],
)
def test_the_merge_note_counts_the_messages_in_words(messages: int, said: str) -> None:
    note = _note(make_ticket(key="HD-7", subject="Printer jams"), messages, contact="")
    assert note.startswith("Merged HD-7 (Printer jams) into this ticket: " + said)
    assert "(s)" not in note
