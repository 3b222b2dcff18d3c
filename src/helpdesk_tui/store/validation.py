"""What both stores accept in a write, checked by pydantic: one set of rules, so SQL and
Request Tracker refuse the same values with the same one line.

Each writable ticket field has a kind (text, optional text, whole number, timestamp, a
list of names, an enum, ...); the kinds are pydantic types, and a ticket's fields are one
pydantic model built from `FIELD_KINDS`. The service checks meaning (who may, which
transition); these checks are the store's own guard against a wrong type reaching a
column, whoever calls it.

pydantic is imported on the first check, not with the store: the launch opens the store
and reads its first page without writing, and pydantic's import (about 0.1 s) would
otherwise sit on that path (launch/startup.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from functools import cache
from types import UnionType
from typing import TYPE_CHECKING, Any, get_args, get_origin, get_type_hints

from ..domain.model import (
    DERIVED_FIELDS,
    EDITABLE_FIELDS,
    MAX_ATTACHMENT_BYTES,
    PauseInterval,
    Role,
    Ticket,
)
from ..domain.worktime import check_minutes
from .base import InvalidInput

if TYPE_CHECKING:
    from pydantic import TypeAdapter

TEXT = "text"
OPTIONAL_TEXT = "optional text"
WHOLE = "whole number"
OPTIONAL_WHOLE = "optional whole number"
INSTANT = "timestamp"
OPTIONAL_INSTANT = "optional timestamp"
NAMES = "names"
WATCHERS = "watchers"
PAUSES = "pauses"

Kind = str | tuple[type[Enum], bool]
"""One of the names above, or (an enum, whether it may be None)."""

_SIMPLE_KINDS: dict[object, tuple[str, str]] = {
    str: (TEXT, OPTIONAL_TEXT),
    int: (WHOLE, OPTIONAL_WHOLE),
    datetime: (INSTANT, OPTIONAL_INSTANT),
}
_ITEM_KINDS: dict[object, str] = {str: NAMES, PauseInterval: PAUSES}


def _kind_of(name: str, annotation: object) -> Kind:
    """The kind of a Ticket field, read from its type: the field list and the types are
    declared once, on Ticket (domain/model.py)."""
    members = get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)
    optional = type(None) in members
    (base,) = [member for member in members if member is not type(None)]
    if isinstance(base, type) and issubclass(base, Enum):
        return (base, optional)
    if base in _SIMPLE_KINDS:
        return _SIMPLE_KINDS[base][optional]
    if get_origin(base) is tuple and not optional:
        item = _ITEM_KINDS.get(get_args(base)[0])
        if item is not None:
            return item
    raise TypeError(f"Ticket.{name}: no write check for {annotation}")


_TICKET_TYPES = get_type_hints(Ticket)
FIELD_KINDS: dict[str, Kind] = {
    **{name: _kind_of(name, _TICKET_TYPES[name]) for name in EDITABLE_FIELDS | DERIVED_FIELDS},
    # Who watches is a set: one name once, and "" is nobody.
    "watchers": WATCHERS,
}
"""Every field a write may set, and its kind."""

_NEEDS = {
    TEXT: "must be text",
    OPTIONAL_TEXT: "must be text",
    WHOLE: "must be a whole number",
    OPTIONAL_WHOLE: "must be a whole number",
    INSTANT: "must be a timestamp",
    OPTIONAL_INSTANT: "must be a timestamp",
    NAMES: "must be a list of names",
    WATCHERS: "must be a list of names",
    PAUSES: "must be a list of pause intervals",
}


def _no_one(value: object) -> object:
    # "" and None both mean "nobody"/"none": one spelling keeps the unassigned filter exact.
    return None if value == "" else value


def _utc(value: datetime) -> datetime:
    from .sql.column_types import to_utc

    return to_utc(value)


def _distinct(names: tuple[str, ...]) -> tuple[str, ...]:
    # Duplicates would mean nothing and break the (ticket, username) key of the index table.
    return tuple(dict.fromkeys(name for name in names if name))


def _annotation(kind: Kind) -> Any:
    """The pydantic type of a kind. Strict where a lax reading would guess: "3" or 3.0
    is not a tier, True is not a number, a string is not a list, an ISO text is not a
    timestamp (the service parses those)."""
    from typing import Annotated

    from pydantic import AfterValidator, BeforeValidator, InstanceOf, Strict, StrictInt, StrictStr

    instant = Annotated[datetime, Strict(), AfterValidator(_utc)]
    names = tuple[StrictStr, ...]
    annotations: dict[str, Any] = {
        TEXT: StrictStr,
        OPTIONAL_TEXT: Annotated[StrictStr | None, BeforeValidator(_no_one)],
        WHOLE: StrictInt,
        OPTIONAL_WHOLE: StrictInt | None,
        INSTANT: instant,
        OPTIONAL_INSTANT: instant | None,
        NAMES: names,
        WATCHERS: Annotated[names, AfterValidator(_distinct)],
        PAUSES: tuple[InstanceOf[PauseInterval], ...],
    }
    if isinstance(kind, tuple):
        enum, optional = kind
        return enum | None if optional else enum
    return annotations[kind]


def _message(name: str, kind: Kind, value: object, error: Mapping[str, Any]) -> str:
    """A pydantic error as the one line the stores have always given."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if value is None:
        return f"{name} cannot be empty"
    if isinstance(kind, tuple):
        choices = ", ".join(str(member.value) for member in kind[0])
        return f"{name} cannot be {value!r:.40} (choose from {choices})"
    if kind in (TEXT, OPTIONAL_TEXT):
        return f"{name} must be text, not {type(value).__name__}"
    if kind in (NAMES, WATCHERS, PAUSES):
        return f"{name} {_NEEDS[kind]}"
    return f"{name} {_NEEDS[kind]}, not {value!r:.40}"


@cache
def _adapter(kind: Kind) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(_annotation(kind))


def check(name: str, value: object, kind: Kind) -> Any:
    """`value` as a store keeps it, or InvalidInput of one line naming `name`."""
    from pydantic import ValidationError

    try:
        return _adapter(kind).validate_python(value)
    except ValidationError as exc:
        raise InvalidInput(_message(name, kind, value, exc.errors()[0])) from None


def check_fields(values: Mapping[str, object]) -> dict[str, Any]:
    """Ticket fields as the stores keep them; a field no write may change is refused."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        kind = FIELD_KINDS.get(name)
        if kind is None:
            raise InvalidInput(f"{name!r} is not a field a write may change")
        checked[name] = check(name, value, kind)
    return checked


def _checker(kind: Kind) -> Callable[[str, object], Any]:
    def checker(name: str, value: object) -> Any:
        return check(name, value, kind)

    return checker


check_str: Callable[[str, object], str] = _checker(TEXT)
check_opt_str: Callable[[str, object], str | None] = _checker(OPTIONAL_TEXT)
check_int: Callable[[str, object], int] = _checker(WHOLE)
check_ts: Callable[[str, object], datetime] = _checker(INSTANT)
check_strs: Callable[[str, object], tuple[str, ...]] = _checker(NAMES)
check_role: Callable[[str, object], Role] = _checker((Role, False))


def check_attachment_size(filename: str, size: int) -> None:
    """Every store takes files up to MAX_ATTACHMENT_BYTES (90 MB), and no larger."""
    if size > MAX_ATTACHMENT_BYTES:
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise InvalidInput(
            f"{filename} is {size / (1024 * 1024):.1f} MB; attachments may be at most {limit} MB"
        )


def check_comment_minutes(minutes: object) -> int | None:
    """A message's time spent as a store keeps it: None, or whole minutes from 1 to a
    week (domain/worktime.py); InvalidInput, one line, otherwise."""
    if minutes is None:
        return None
    try:
        return check_minutes(minutes)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
