"""A command's output kept as an internal note (`!` in the app): the note is internal,
the history names the command line, an "@name" in the output calls nobody in, and bad
input writes nothing. On every store, Request Tracker included."""

from __future__ import annotations

import pytest

from helpdesk_tui.domain.model import CommentKind
from helpdesk_tui.service import ServiceError
from helpdesk_tui.service.tickets import COMMAND_EVENT
from tests.conftest import EVERY_STORE
from tests.service.conftest import Desk

pytestmark = EVERY_STORE

BODY = "$ df -h /var\n    Filesystem  Size\n    /dev/sda1    50G @nobody-here\n[exit 0]"


def test_the_note_is_internal_and_the_history_names_the_command(desk: Desk) -> None:
    ticket = desk.held("alice", 1)
    after = desk.as_("alice").command_note(ticket.key, ticket.version, BODY, " df -h /var ")
    assert after.version > ticket.version
    note = desk.repo.comments(ticket.key)[-1]
    assert note.kind is CommentKind.NOTE and not note.is_public
    assert note.body == BODY and note.author == "alice"
    entries = [e for e in desk.repo.history(ticket.key) if e.field == COMMAND_EVENT]
    assert [(e.actor, e.new) for e in entries] == [("alice", "df -h /var")]
    said = desk.sentences(ticket.key)[-1]
    assert said.startswith("Internal note by alice") and "df -h /var" in said, said
    # "@nobody-here" is the command's text, not a mention: nobody is called in.
    assert "mention" not in {e.field for e in desk.repo.history(ticket.key)}


@pytest.mark.parametrize(
    ("body", "command", "error"),
    [
        ("", "true", "empty"),
        ("$ true\n[exit 0]", "", "command line"),
        ("$ true\n[exit 0]", "  ", "command line"),
        ("$ true\n[exit 0]", "true\nrm -rf /", "command line"),
    ],
    ids=["empty body", "empty command", "blank command", "two lines"],
)
def test_bad_input_writes_nothing(desk: Desk, body: str, command: str, error: str) -> None:
    ticket = desk.held("alice", 1)
    before = desk.snapshot(ticket.key)
    with pytest.raises(ServiceError, match=error):
        desk.as_("alice").command_note(ticket.key, ticket.version, body, command)
    assert desk.snapshot(ticket.key) == before
