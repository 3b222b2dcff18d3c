"""What one import record may hold, declared as a pydantic model (`ImportRecord`).

A record comes from CSV (every cell is text), JSON or JSON Lines (text, numbers, lists,
null). pydantic checks each field's type and turns the value into what a Ticket holds:
whole numbers from integers or digits (never from true/false or a fraction), timestamps
from ISO 8601 text with a timezone, enums from their values (or the labels and aliases
people type), lists of names from a list or a CSV cell. The rules on values (lengths,
tiers, addresses, agents, keys being new) are the service's (domain.model's
check_new_ticket), the same for an import as for `ticket create`.

A refusal is one line naming the field: `problem()` turns pydantic's error into it.

Importing this module imports pydantic and SQLModel, which brings the SQLAlchemy ORM
(about 0.15 s with building the model): transfer.py imports it inside the import, so the
app's launch, which imports transfer.py through the command line, never pays for it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, TypeGuard, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    FailFast,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from sqlmodel import SQLModel

from ..domain.model import (
    Channel,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Status,
    Ticket,
    TicketType,
    canonical_key,
)

CELLS = "cells"
"""The validation context's flag for a CSV row, whose every value is text."""

IGNORED = frozenset({"version", "sla", "conversation", "history"})
"""What `ticket show/list --json` adds to a record: read back, it is dropped unread."""

_Choice = TypeVar("_Choice", TicketType, Priority, Status, Channel, Environment, Escalation)


# --- the kinds of value a field holds ------------------------------------------------------


def _spelling(kind: type[_Choice]) -> Callable[[object], object]:
    """Read the labels and aliases people type ("P1", "On hold", "solved") as the value
    they stand for; anything else goes on to pydantic, which names the choices."""

    exact = frozenset(member.value for member in kind)  # what export writes: no parsing

    def known(value: object) -> object:
        if isinstance(value, str) and value not in exact:
            try:
                return kind.parse(value)
            except ValueError:
                return value
        return value

    return known


def _not_true_false(value: object) -> object:
    # pydantic reads true as 1; in a ticket's whole-number fields it is always a mistake.
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    return value


def _iso_text(value: object) -> object:
    # pydantic would read a number, or a text of digits, as seconds since 1970; a file's
    # timestamps are ISO 8601 text, and anything else is a mistake.
    if not isinstance(value, str):
        raise ValueError(f"must be an ISO 8601 date and time, not {kind_of(value)}")
    text = value.strip()
    if not (text[:4].isdigit() and text[4:5] == "-"):
        raise ValueError(f"{text[:40]!r} is not an ISO 8601 date and time")
    return text


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+05:00 is before the first instant Python can hold in UTC.
        raise ValueError(f"{value.isoformat()} is out of range") from None


def _from_cell(value: object, info: ValidationInfo) -> TypeGuard[str]:
    """Whether `value` is a CSV cell's text, which may hold a list written out. In JSON,
    text where a list belongs is a mistake ("a,b" for ["a", "b"]), refused as one."""
    if not isinstance(value, str):
        return False
    if not (info.context or {}).get(CELLS):
        raise ValueError(f"must be a list, not {kind_of(value)}")
    return True


def _json_list(value: object, info: ValidationInfo) -> object:
    # A CSV cell holds a list as JSON, the way export writes it.
    if not _from_cell(value, info):
        return value
    try:
        return json.loads(value)
    except RecursionError:
        raise ValueError("is nested too deeply") from None
    except json.JSONDecodeError as exc:
        # exc.msg without its position: "line 1" would be taken for the file's line.
        raise ValueError(f"is not a JSON list ({exc.msg.lower()})") from None
    except ValueError as exc:  # a number longer than Python reads
        raise ValueError(f"is not a JSON list ({str(exc).split(';')[0][:80]})") from None


def _names_from_text(value: object, info: ValidationInfo) -> object:
    # A CSV cell may also list names the way people type them: "vpn; urgent" or "a,b".
    if _from_cell(value, info) and not value.lstrip().startswith("["):
        return value.replace(";", ",").split(",")
    return _json_list(value, info)


def _no_blanks(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    # "a, ,b" and ["a", ""] hold two names.
    return names if names is None else tuple(name for name in names if name)


Text = StrictStr
Subject = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[StrictStr, AfterValidator(canonical_key)]
WholeNumber = Annotated[int, BeforeValidator(_not_true_false)]
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc)]
Name = Annotated[StrictStr, StringConstraints(strip_whitespace=True)]
# FailFast: a list of a million wrong items is refused at its first, as the one line shows
# one anyway. (None sits inside: pydantic's FailFast cannot sit in a union.)
Names = Annotated[
    tuple[Name, ...] | None,
    FailFast(),
    BeforeValidator(_names_from_text),
    AfterValidator(_no_blanks),
]
TypeChoice = Annotated[TicketType, BeforeValidator(_spelling(TicketType))]
PriorityChoice = Annotated[Priority, BeforeValidator(_spelling(Priority))]
StatusChoice = Annotated[Status, BeforeValidator(_spelling(Status))]
ChannelChoice = Annotated[Channel, BeforeValidator(_spelling(Channel))]
EnvironmentChoice = Annotated[Environment, BeforeValidator(_spelling(Environment))]
EscalationChoice = Annotated[Escalation, BeforeValidator(_spelling(Escalation))]
Pause = tuple[Instant, Instant | None, StatusChoice]
"""[start, end, status], as export writes a PauseInterval; end is null while paused."""
Pauses = Annotated[tuple[Pause, ...] | None, FailFast(), BeforeValidator(_json_list)]


# --- the record ------------------------------------------------------------------------------


class ImportRecord(SQLModel):
    """One record of an import: every field export writes (transfer.EXPORTED and pauses),
    each optional but the subject, for a field left out (or null, or an empty CSV cell)
    takes the Ticket's default. tests/domain/test_fields.py checks the fields and their
    types against Ticket's."""

    # A SQLModel model without a table, like the project's other models: a pydantic model
    # with nothing of SQLAlchemy in play. SQLModel's own config also reads objects'
    # attributes; a record is a mapping or nothing.
    model_config = SQLModel.model_config | {"extra": "forbid", "from_attributes": False}

    key: Key | None = None
    subject: Subject
    description: Text | None = None
    type: TypeChoice | None = None
    priority: PriorityChoice | None = None
    status: StatusChoice | None = None
    tier: WholeNumber | None = None
    assignee: Text | None = None
    team: Text | None = None
    requester_name: Text | None = None
    requester_email: Text | None = None
    organization: Text | None = None
    watchers: Names = None
    contacts: Names = None
    channel: ChannelChoice | None = None
    environment: EnvironmentChoice | None = None
    impact: Text | None = None
    affected_users: WholeNumber | None = None
    integration: Text | None = None
    category: Text | None = None
    tags: Names = None
    language: Text | None = None
    created_at: Instant | None = None
    updated_at: Instant | None = None
    first_response_at: Instant | None = None
    resolved_at: Instant | None = None
    closed_at: Instant | None = None
    last_public_update_at: Instant | None = None
    last_customer_reply_at: Instant | None = None
    pauses: Pauses = None
    escalation: EscalationChoice | None = None
    escalation_reason: Text | None = None
    escalated_by: Text | None = None
    escalated_at: Instant | None = None
    escalated_from_tier: WholeNumber | None = None
    merged_into: Text | None = None
    follow_up_of: Text | None = None
    csat_score: WholeNumber | None = None
    csat_comment: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _left_out(cls, record: Any) -> Any:
        # null, and an empty cell (a CSV row has every column), leave the field to the
        # Ticket's default; an empty subject stays, to be refused.
        if not isinstance(record, dict):
            return record  # pydantic refuses it as not an object
        return {
            name: value
            for name, value in record.items()
            if value is not None and (value != "" or name == "subject") and name not in IGNORED
        }


class RecordError(ValueError):
    """A record pydantic refused; the message is one line, "<field>: <what is wrong>"."""


_CHOSEN = {
    f.name: f.default
    for f in fields(Ticket)
    if f.name in ImportRecord.model_fields and isinstance(f.default, Enum | int)
}
"""The fields whose default is a choice (status new, tier 1...): null there is refused,
not read as that choice, which the file did not make."""
_NAMING = ("merged_into", "follow_up_of")
"""The fields that name another ticket."""


def ticket_values(record: object, *, cells: bool = False) -> dict[str, Any]:
    """The Ticket fields `record` sets, as Ticket's constructor takes them; a field left
    out takes Ticket's default. `cells`: the record is a CSV row, every value text.
    RecordError if a field cannot be read."""
    if isinstance(record, dict):
        null = next((name for name in _CHOSEN if name in record and record[name] is None), None)
        if null is not None:
            default = _CHOSEN[null]
            shown = default.value if isinstance(default, Enum) else default
            raise RecordError(f"{null}: cannot be null; leave it out for the default ({shown})")
    try:
        parsed = ImportRecord.model_validate(record, context={CELLS: cells})
    except ValidationError as exc:
        raise RecordError(problem(exc)) from None
    values = {name: getattr(parsed, name) for name in parsed.model_fields_set}
    for name in _NAMING:
        if values.get(name) is not None and values[name] == values.get("key"):
            raise RecordError(f"{name}: {values[name]} is this ticket itself")
    if "pauses" in values:
        values["pauses"] = tuple(PauseInterval(*pause) for pause in values["pauses"])
    return values


# --- a refusal as one line ---------------------------------------------------------------


def kind_of(value: object) -> str:
    """What a value is, in the words of the file it came from."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "text" if isinstance(value, str) else type(value).__name__


def _shown(value: object) -> str:
    return kind_of(value) if isinstance(value, dict | list | bool) else repr(value)[:40]


_SHAPES = {
    "watchers": "must be a list of names",
    "tags": "must be a list of names",
    "contacts": "must be a list of addresses",
    "pauses": "must be a list of [start, end, status]",
}
_PAUSE_PARTS = ("start", "end", "status")
_NOT_A_WHOLE_NUMBER = frozenset({"int_type", "int_parsing", "int_parsing_size", "int_from_float"})
_NOT_A_PAUSE = frozenset({"tuple_type", "missing", "too_short", "too_long"})
_NOT_AN_INSTANT = frozenset({"datetime_type", "datetime_parsing", "datetime_from_date_parsing"})


def problem(error: ValidationError) -> str:
    """pydantic's refusal of a record as "<field>: <what is wrong>", one line, in the
    words a person editing the file needs: no error codes, no links."""
    errors = error.errors(include_url=False)
    # A misspelt field name explains the rest ("subjcet" leaves subject missing).
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = first["loc"]
    if not loc:
        return "expected an object with the ticket's fields"
    if first["type"] == "extra_forbidden":
        return _unknown(str(loc[0]))
    if loc[0] == "pauses" and len(loc) >= 2 and first["type"] in _NOT_A_PAUSE:
        return f"{_place(loc[:2])}: each pause is [start, end, status]"
    return f"{_place(loc)}: {_what(first, loc)}"[:300]


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, ImportRecord.model_fields, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{name[:40]!r}: unknown field{hint}"


def _place(loc: tuple[int | str, ...]) -> str:
    """("pauses", 0, 2) as "pauses, item 1, status"."""
    parts = [str(loc[0])]
    for depth, step in enumerate(loc[1:], 1):
        if depth == 2 and loc[0] == "pauses" and isinstance(step, int):
            parts.append(_PAUSE_PARTS[step])
        elif isinstance(step, int):
            parts.append(f"item {step + 1}")
        else:
            parts.append(str(step))
    return ", ".join(parts)


def _what(error: Mapping[str, Any], loc: tuple[int | str, ...]) -> str:
    kind, value, context = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "value_error":
        return str(context.get("error", error["msg"])).removeprefix("Value error, ")
    if kind in ("tuple_type", "list_type") and loc[0] in _SHAPES:
        return _SHAPES[str(loc[0])]
    if kind == "string_type":
        return f"must be text, not {kind_of(value)}"
    if kind == "string_too_short":
        return "cannot be empty"
    if kind == "missing":
        return "is missing; every ticket needs one"
    if kind in _NOT_A_WHOLE_NUMBER:
        return f"must be a whole number, not {_shown(value)}"
    if kind == "enum":
        return f"{_shown(value)} is not one of {context.get('expected', 'the choices')}"
    if kind == "timezone_aware":
        return f"{_shown(value)} has no timezone"
    if kind in _NOT_AN_INSTANT:
        reason = f" ({context['error']})" if "error" in context else ""
        return f"{_shown(value)} is not an ISO 8601 date and time{reason}"
    return str(error["msg"]).replace("Input should be", "must be")
