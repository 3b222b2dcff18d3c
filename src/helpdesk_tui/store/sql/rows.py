"""Rows <-> domain objects: the ticket's columns, and how each value is stored and read.

Rows are mapped by position, which keeps a queue page (50 rows) well under a millisecond
of Python and lets bulk paths move thousands of rows per batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa

from ...domain.model import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    Agent,
    Channel,
    CommentKind,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Role,
    Status,
    Ticket,
    TicketType,
)
from ..base import InvalidInput
from .column_types import to_utc
from .tables import tickets

# --- lookup tables --------------------------------------------------------------------
# StrEnum members hash and compare like their values, so one dict maps either an enum
# member or its string to the plain string (for binding) or to the member (for reading).


def _values(enum_type: type[Enum]) -> dict[str, str]:
    return {str(m.value): str(m.value) for m in enum_type}


_E = TypeVar("_E", bound=Enum)


def _members(enum_type: type[_E]) -> dict[str, _E]:
    return {str(m.value): m for m in enum_type}


TYPE_STR, _TYPE = _values(TicketType), _members(TicketType)
PRIORITY_STR, _PRIORITY = _values(Priority), _members(Priority)
STATUS_STR, _STATUS = _values(Status), _members(Status)
_CHANNEL_STR, _CHANNEL = _values(Channel), _members(Channel)
_ENV_STR, _ENV = _values(Environment), _members(Environment)
ESCALATION_STR, _ESCALATION = _values(Escalation), _members(Escalation)
KIND = _members(CommentKind)
_ROLE = _members(Role)
_RANK = {p.value: p.rank for p in Priority}
ACTIVE_VALUES = frozenset(s.value for s in ACTIVE_STATUSES)
DONE_VALUES = frozenset(s.value for s in DONE_STATUSES)

# Ticket columns in the order `ticket_from_row` reads them and raw inserts write them.
TICKET_COLUMNS = (
    "id",
    "key",
    "subject",
    "description",
    "type",
    "priority",
    "status",
    "tier",
    "assignee",
    "team",
    "requester_name",
    "requester_email",
    "organization",
    "watchers",
    "channel",
    "environment",
    "impact",
    "affected_users",
    "integration",
    "category",
    "tags",
    "language",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "last_public_update_at",
    "last_customer_reply_at",
    "pauses",
    "escalation",
    "escalation_reason",
    "escalated_by",
    "escalated_at",
    "escalated_from_tier",
    "merged_into",
    "follow_up_of",
    "csat_score",
    "csat_comment",
    "sla_due_at",
    "sla_risk_at",
    "sla_flags",
    "version",
    "contacts",
)
INSERT_COLUMNS = (*TICKET_COLUMNS, "priority_rank", "is_active")
# Booleans travel as 0/1 (pysqlite binds a bool slowly, via its adapter lookup) and
# become booleans in SQL: "(? <> 0)" is a boolean to PostgreSQL and 0/1 to SQLite.
INSERT_MARKS = ", ".join(["?"] * (len(INSERT_COLUMNS) - 1) + ["(? <> 0)"])
SELECT_TICKET = sa.select(*(tickets.c[name] for name in TICKET_COLUMNS))


# --- row <-> domain -------------------------------------------------------------------


def dump_strs(values: Iterable[str]) -> str:
    items = list(values)
    if not items:
        return "[]"
    if not all(isinstance(v, str) for v in items):
        raise InvalidInput(f"expected a list of strings, got {items!r:.80}")
    return json.dumps(items, ensure_ascii=False)


def load_strs(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(json.loads(text))


def _dump_pauses(pauses: Iterable[PauseInterval]) -> str:
    items = [
        [
            to_utc(p.start).isoformat(),
            None if p.end is None else to_utc(p.end).isoformat(),
            STATUS_STR[p.status],
        ]
        for p in pauses
    ]
    return json.dumps(items) if items else "[]"


def _load_pauses(text: str | None) -> tuple[PauseInterval, ...]:
    if not text or text == "[]":
        return ()
    return tuple(
        PauseInterval(
            datetime.fromisoformat(start),
            None if end is None else datetime.fromisoformat(end),
            _STATUS[status],
        )
        for start, end, status in json.loads(text)
    )


def ticket_from_row(r: Sequence[Any]) -> Ticket:
    """A domain Ticket from a row of `SELECT_TICKET` (timestamps already converted)."""
    return Ticket(
        id=r[0],
        key=r[1],
        subject=r[2],
        description=r[3],
        type=_TYPE[r[4]],
        priority=_PRIORITY[r[5]],
        status=_STATUS[r[6]],
        tier=r[7],
        assignee=r[8],
        team=r[9],
        requester_name=r[10],
        requester_email=r[11],
        organization=r[12],
        watchers=load_strs(r[13]),
        channel=_CHANNEL[r[14]],
        environment=None if r[15] is None else _ENV[r[15]],
        impact=r[16],
        affected_users=r[17],
        integration=r[18],
        category=r[19],
        tags=load_strs(r[20]),
        language=r[21],
        created_at=r[22],
        updated_at=r[23],
        first_response_at=r[24],
        resolved_at=r[25],
        closed_at=r[26],
        last_public_update_at=r[27],
        last_customer_reply_at=r[28],
        pauses=_load_pauses(r[29]),
        escalation=_ESCALATION[r[30]],
        escalation_reason=r[31],
        escalated_by=r[32],
        escalated_at=r[33],
        escalated_from_tier=r[34],
        merged_into=r[35],
        follow_up_of=r[36],
        csat_score=r[37],
        csat_comment=r[38],
        sla_due_at=r[39],
        sla_risk_at=r[40],
        sla_flags=load_strs(r[41]),
        version=r[42],
        contacts=load_strs(r[43]),
    )


def ticket_params(t: Ticket, id_: int, key: str, ts: Callable[[datetime], Any]) -> tuple[Any, ...]:
    """A ticket as raw insert parameters in `INSERT_COLUMNS` order.

    `ts` converts timestamps for the dialect (raw inserts bypass the column types).
    Hot path of bulk_import (a million calls): one tuple, dict lookups for enums, no
    helper calls for the many empty values, booleans as 0/1.
    """
    status = STATUS_STR[t.status]
    priority = PRIORITY_STR[t.priority]
    watching = t.watchers
    return (
        id_,
        key,
        t.subject,
        t.description,
        TYPE_STR[t.type],
        priority,
        status,
        t.tier,
        t.assignee,
        t.team,
        t.requester_name,
        t.requester_email,
        t.organization,
        "[]" if not watching else dump_strs(dict.fromkeys(watching)),
        _CHANNEL_STR[t.channel],
        None if t.environment is None else _ENV_STR[t.environment],
        t.impact,
        t.affected_users,
        t.integration,
        t.category,
        "[]" if not t.tags else dump_strs(t.tags),
        t.language,
        ts(t.created_at),
        ts(t.updated_at),
        None if t.first_response_at is None else ts(t.first_response_at),
        None if t.resolved_at is None else ts(t.resolved_at),
        None if t.closed_at is None else ts(t.closed_at),
        None if t.last_public_update_at is None else ts(t.last_public_update_at),
        None if t.last_customer_reply_at is None else ts(t.last_customer_reply_at),
        "[]" if not t.pauses else _dump_pauses(t.pauses),
        ESCALATION_STR[t.escalation],
        t.escalation_reason,
        t.escalated_by,
        None if t.escalated_at is None else ts(t.escalated_at),
        t.escalated_from_tier,
        t.merged_into,
        t.follow_up_of,
        t.csat_score,
        t.csat_comment,
        None if t.sla_due_at is None else ts(t.sla_due_at),
        None if t.sla_risk_at is None else ts(t.sla_risk_at),
        "[]" if not t.sla_flags else dump_strs(t.sla_flags),
        1 if t.version is None else t.version,
        "[]" if not t.contacts else dump_strs(t.contacts),
        _RANK[priority],
        1 if status in ACTIVE_VALUES else 0,
    )


def column_values(name: str, value: Any) -> dict[str, Any]:
    """The column values (for a Core UPDATE) that store one checked field value."""
    if name in ("watchers", "contacts", "tags", "sla_flags"):
        return {name: dump_strs(value)}
    if name == "pauses":
        return {name: _dump_pauses(value)}
    if isinstance(value, Enum):
        stored = str(value.value)
        if name == "status":
            return {name: stored, "is_active": stored in ACTIVE_VALUES}
        if name == "priority":
            return {name: stored, "priority_rank": _RANK[stored]}
        return {name: stored}
    return {name: value}


def agent_from_row(r: Any) -> Agent:
    return Agent(
        username=r.username,
        name=r.name,
        email=r.email,
        tier=r.tier,
        role=_ROLE[r.role],
        team=r.team,
        organizations=load_strs(r.organizations),
        active=bool(r.active),
        db_role=r.db_role,
    )


def spellings(key: str) -> list[str]:
    # Keys are stored as given; "hd-42" typed by a person finds HD-42.
    wanted = key.strip()
    upper = wanted.upper()
    return [wanted] if upper == wanted else [wanted, upper]
