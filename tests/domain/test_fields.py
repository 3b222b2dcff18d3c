"""The ticket's fields are declared once, by the `Ticket` dataclass (domain.model); every
other list of field names (what a write may name, what a draft carries, the queue's
columns, what Request Tracker keeps where) is checked against it here, so a field added
or renamed in one place and forgotten in another fails a test instead of a write."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from types import UnionType
from typing import Annotated, Union, get_args, get_origin, get_type_hints

from helpdesk_tui.domain import model
from helpdesk_tui.domain.model import (
    DERIVED_FIELDS,
    EDITABLE_FIELDS,
    TICKET_FIELDS,
    PauseInterval,
    Ticket,
)
from helpdesk_tui.service.drafts import TicketDraft
from helpdesk_tui.service.tickets import GUARDED_FIELDS
from helpdesk_tui.store.rt.mapping import CF_FOR_FIELD, STATE_FIELDS
from helpdesk_tui.store.sql.rows import (
    INSERT_COLUMNS,
    TICKET_COLUMNS,
    ticket_from_row,
    ticket_params,
)

IDENTITY_FIELDS = frozenset({"id", "key", "version", "created_at"})
"""Given by the store when a ticket is created, never named by a write."""

RT_OWN_FIELDS = frozenset(
    {"id", "key", "subject", "priority", "status", "tier", "assignee", "created_at", "updated_at"}
)
"""Kept in Request Tracker's own ticket fields (Subject, Priority, Status, Queue, Owner,
Created, LastUpdated) rather than in a custom field or the "Helpdesk state" JSON."""

RT_STATE_COUNTER = frozenset({"version"})
"""Kept in the "Helpdesk state" JSON, but written by the store on every change, not mapped."""

COMPUTED_COLUMNS = frozenset({"mark", "sla", "target", "requester"})
"""Queue columns that show something computed from a ticket rather than one of its fields."""


def test_every_ticket_field_is_editable_derived_or_identity() -> None:
    assert frozenset(f.name for f in fields(Ticket)) == TICKET_FIELDS
    assert not EDITABLE_FIELDS & DERIVED_FIELDS
    assert not IDENTITY_FIELDS & (EDITABLE_FIELDS | DERIVED_FIELDS)
    assert EDITABLE_FIELDS | DERIVED_FIELDS | IDENTITY_FIELDS == TICKET_FIELDS


def test_the_checked_field_lists_name_ticket_fields() -> None:
    # The checks a new or imported ticket passes (domain.model.check_new_ticket).
    checked = [
        *model._LINE_FIELDS,
        *model._TEXT_FIELDS,
        *model._ENUM_FIELDS,
        *model._TIME_FIELDS,
    ]
    assert set(checked) <= TICKET_FIELDS
    assert len(checked) == len(set(checked)), "a field is checked as two kinds"
    for name, kind in model._ENUM_FIELDS.items():
        assert isinstance(getattr(Ticket(key="", subject="x"), name), kind), name


def test_a_draft_carries_editable_ticket_fields() -> None:
    assert {f.name for f in fields(TicketDraft)} <= EDITABLE_FIELDS


def test_the_fields_update_refuses_are_editable() -> None:
    assert GUARDED_FIELDS <= EDITABLE_FIELDS


def test_the_queue_columns_are_ticket_fields_or_computed() -> None:
    from helpdesk_tui.ui.widgets.ticket_table import (
        BOARD_COLUMNS,
        COLUMNS,
        ESCALATION_COLUMNS,
        QUEUE_COLUMNS,
    )

    assert set(COLUMNS) <= TICKET_FIELDS | COMPUTED_COLUMNS
    assert set(QUEUE_COLUMNS) | set(BOARD_COLUMNS) | set(ESCALATION_COLUMNS) <= set(COLUMNS)
    assert isinstance(Ticket.requester, property)  # shown as one column


def test_request_tracker_keeps_every_ticket_field_in_exactly_one_place() -> None:
    places = [RT_OWN_FIELDS, frozenset(CF_FOR_FIELD), frozenset(STATE_FIELDS), RT_STATE_COUNTER]
    for place in places:
        assert place <= TICKET_FIELDS, place - TICKET_FIELDS
    assert len(STATE_FIELDS) == len(set(STATE_FIELDS))
    assert sum(len(place) for place in places) == len(TICKET_FIELDS), "a field kept twice"
    assert frozenset().union(*places) == TICKET_FIELDS, TICKET_FIELDS - frozenset().union(*places)


def test_the_sql_store_reads_and_writes_every_ticket_field_once() -> None:
    # The SQL store lists its columns in the order it reads rows by position (a hot path);
    # the list must still be exactly the Ticket's fields, each once.
    assert len(TICKET_COLUMNS) == len(set(TICKET_COLUMNS))
    assert set(TICKET_COLUMNS) == TICKET_FIELDS
    sample = Ticket(key="HD-1", subject="s", id=1, version=3, tags=("a",), watchers=("b",))
    written = ticket_params(sample, 1, "HD-1", lambda at: at)
    assert len(written) == len(INSERT_COLUMNS)
    assert ticket_from_row(written[: len(TICKET_COLUMNS)]) == sample


def _plain(annotation: object) -> object:
    """A type without what pydantic adds to it, nor None: Annotated[int, ...] | None is int,
    AwareDatetime is datetime, a tuple is (tuple, its item types...)."""
    from pydantic import AwareDatetime

    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _plain(args[0])
    if origin in (Union, UnionType):
        kept = [_plain(arg) for arg in args if arg is not type(None)]
        return kept[0] if len(kept) == 1 else frozenset(kept)
    if origin is tuple:
        return (tuple, *(_plain(arg) for arg in args))
    return datetime if annotation is AwareDatetime else annotation


def test_an_import_record_carries_what_export_writes_each_of_the_ticket_s_type() -> None:
    # The import's record model (service/records.py) declares its fields for pydantic:
    # the same names as the Ticket's exported fields, in the same order, of the same types
    # (each optional: a field left out takes the Ticket's default).
    from helpdesk_tui.service.records import IGNORED, ImportRecord
    from helpdesk_tui.service.transfer import EXPORTED

    imported = {*EXPORTED, "pauses"}
    assert list(ImportRecord.model_fields) == [f.name for f in fields(Ticket) if f.name in imported]
    assert not IGNORED & imported
    hints = get_type_hints(Ticket)
    pause = (tuple, *(_plain(kind) for kind in get_type_hints(PauseInterval).values()))
    for name, info in ImportRecord.model_fields.items():
        expected = (tuple, pause, ...) if name == "pauses" else _plain(hints[name])
        assert _plain(info.annotation) == expected, name
