"""How RT's ticket JSON maps to the domain Ticket, and back.

Statuses go through a lifecycle map, priorities through bands of RT's number, and what
RT has no field for through ticket custom fields: searchable ones of their own and the
JSON field "Helpdesk state" for the rest (see the package docstring).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from ...domain.model import (
    KEY_RE,
    Channel,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Status,
    Ticket,
    TicketType,
)
from ..base import InvalidInput, NotFound, StoreUnavailable
from .client import RtClient
from .config import RtConfig
from .errors import RtBadResponse, RtUnsupported

HELPDESK_LIFECYCLE: dict[Status, str] = {
    Status.NEW: "new",
    Status.OPEN: "open",
    Status.PENDING: "pending",
    Status.ON_HOLD: "on hold",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
    Status.CANCELLED: "cancelled",
}
"""Our statuses in the `helpdesk` lifecycle (docs/backends-rt.md shows its RT config)."""

DEFAULT_LIFECYCLE: dict[Status, str] = {
    Status.NEW: "new",
    Status.OPEN: "open",
    Status.PENDING: "stalled",
    Status.RESOLVED: "resolved",
    Status.CANCELLED: "rejected",
}
"""RT's stock lifecycle: on_hold and closed have no status there and are refused."""

READ_ALIASES = {
    "stalled": Status.PENDING,
    "rejected": Status.CANCELLED,
    "deleted": Status.CANCELLED,
}

PRIORITY_VALUES = {Priority.CRITICAL: 100, Priority.HIGH: 75, Priority.MEDIUM: 50, Priority.LOW: 25}
"""What we write into RT's numeric Priority; reading takes the nearest band."""

CUSTOM_FIELDS: dict[str, str] = {
    "type": "Ticket type",
    "environment": "Environment",
    "organization": "Organization",
    "team": "Team",
    "escalation": "Escalation",
    "sla_due": "SLA due",
    "sla_clock": "SLA clock",
    "sla_risk": "SLA risk",
    "first_response": "First response",
    "closed": "Closed",
    "state": "Helpdesk state",
}
"""Ticket custom fields the store needs (single-value; "Helpdesk state" is Text)."""

CF_FOR_FIELD = {
    "type": "type",
    "environment": "environment",
    "organization": "organization",
    "team": "team",
    "escalation": "escalation",
    "sla_due_at": "sla_due",
    "closed_at": "closed",
}

SEARCH_COPIES = {"sla_risk_at": "sla_risk", "first_response_at": "first_response"}
"""Fields of the "Helpdesk state" JSON also written to a custom field of their own, so
TicketSQL can filter on them (urgency classes, "Needs first response"). The JSON stays
what is read and what the history follows; the copy is only searched."""

CF_WRITTEN = (*CF_FOR_FIELD, *SEARCH_COPIES)
"""The ticket fields a write sends as custom fields."""

STATE_FIELDS = (
    "description",
    "requester_name",
    "requester_email",
    "watchers",
    "channel",
    "impact",
    "affected_users",
    "integration",
    "category",
    "tags",
    "contacts",
    "language",
    "first_response_at",
    "resolved_at",
    "last_public_update_at",
    "last_customer_reply_at",
    "pauses",
    "escalation_reason",
    "escalated_by",
    "escalated_at",
    "escalated_from_tier",
    "merged_into",
    "follow_up_of",
    "csat_score",
    "csat_comment",
    "sla_risk_at",
    "sla_flags",
)
"""Ticket fields kept in the JSON custom field "Helpdesk state"."""

_TS_STATE = {
    "first_response_at",
    "resolved_at",
    "last_public_update_at",
    "last_customer_reply_at",
    "escalated_at",
    "sla_risk_at",
}
"""The timestamps among STATE_FIELDS."""

_E = TypeVar("_E", bound=Enum)

# --- value conversions ----------------------------------------------------------------


def fmt_ts(value: datetime) -> str:
    """A sortable UTC text for custom fields: 2025-03-04 09:00:00.000000."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=UTC)


def rt_date(text: object) -> datetime | None:
    """REST2 dates are W3CDTF in UTC; RT writes 1970-01-01 for "not set"."""
    if not isinstance(text, str) or not text or text.startswith("1970-01-01"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def epoch() -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC)


def priority_from(value: object) -> Priority:
    try:
        number = int(str(value))
    except ValueError:
        return Priority.MEDIUM
    if number >= 88:
        return Priority.CRITICAL
    if number >= 63:
        return Priority.HIGH
    if number >= 38:
        return Priority.MEDIUM
    return Priority.LOW


def int_or_zero(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def ref_id(ref: object) -> str | None:
    """The id in a REST2 reference ({"id": …}) or a bare id."""
    if isinstance(ref, dict):
        value = ref.get("id")
        return None if value is None else str(value)
    if isinstance(ref, str | int):
        return str(ref)
    return None


def _enum_or(kind: type[_E], value: str | None, default: Any) -> Any:
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        try:
            return kind.parse(value)  # type: ignore[attr-defined]
        except (ValueError, AttributeError):
            return default


def json_object(text: str | None) -> dict[str, Any]:
    """The JSON object in `text`; {} for nothing, bad JSON or another JSON value."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# --- the Helpdesk state JSON ----------------------------------------------------------


def _state_value(name: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return fmt_ts(value)
    if name == "pauses":
        return [
            [fmt_ts(p.start), None if p.end is None else fmt_ts(p.end), p.status.value]
            for p in value  # type: ignore[attr-defined]
        ]
    if isinstance(value, tuple):
        return list(value)
    return value


def _from_state(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _TS_STATE:
        return parse_ts(value)
    if name == "pauses":
        return tuple(
            PauseInterval(parse_ts(s), None if e is None else parse_ts(e), Status(st))
            for s, e, st in value
        )
    if name in ("watchers", "contacts", "tags", "sla_flags"):
        return tuple(str(v) for v in value)
    if name == "channel":
        return Channel(value)
    return value


def state_of(ticket: Ticket) -> dict[str, Any]:
    """The "Helpdesk state" JSON of a ticket (without the version and write record)."""
    return {name: _state_value(name, getattr(ticket, name)) for name in STATE_FIELDS}


def custom_field_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The first value of each custom field in REST2's ticket JSON, by field name."""
    found: dict[str, str] = {}
    for cf in data.get("CustomFields") or []:
        if not isinstance(cf, dict):
            continue
        values = cf.get("values") or []
        if values and isinstance(values[0], str):
            found[str(cf.get("name", ""))] = values[0]
    return found


def custom_fields(ticket: Ticket, names: Iterable[str]) -> dict[str, Any]:
    """RT custom field values for the given ticket fields (None clears one)."""
    out: dict[str, Any] = {}
    for name in names:
        if name == "sla_due_at":
            due = ticket.sla_due_at
            out[CUSTOM_FIELDS["sla_due"]] = None if due is None else fmt_ts(due)
            out[CUSTOM_FIELDS["sla_clock"]] = "stopped" if due is None else "running"
            continue
        cf = CF_FOR_FIELD.get(name) or SEARCH_COPIES.get(name)
        if cf is None:
            continue
        value = getattr(ticket, name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, datetime):
            value = fmt_ts(value)
        out[CUSTOM_FIELDS[cf]] = value if value not in ("", None) else None
    return out


# --- the mapping of one RT ------------------------------------------------------------


class TicketMapping:
    """Keys, statuses, queues and custom fields of the configured RT: the ids are learnt
    from RT once (`discover`), the rest comes from the config."""

    def __init__(self, config: RtConfig) -> None:
        self.config = config
        self.statuses = HELPDESK_LIFECYCLE if config.lifecycle == "helpdesk" else DEFAULT_LIFECYCLE
        """Our status → RT's status name in the configured lifecycle."""
        self.from_rt_status = {v: k for k, v in self.statuses.items()} | {
            k: v for k, v in READ_ALIASES.items() if k not in self.statuses.values()
        }
        self.queue_ids: dict[str, int] = {}
        """The configured queues' names → RT ids (in the config's order)."""
        self.queue_names: dict[int, str] = {}
        self.cf_ids: dict[str, int] = {}
        """RT custom field name (the values of CUSTOM_FIELDS) → its id."""

    def discover(self, client: RtClient) -> None:
        me = client.get_json("rt")
        if not isinstance(me, dict) or "Version" not in me:
            raise RtBadResponse(f"{self.config.host} does not look like RT's REST2 API")
        queues = {
            str(q.get("Name")): int(q["id"])
            for q in client.items("queues/all", {"fields": "Name,Lifecycle"})
            if "id" in q
        }
        missing = [name for name in self.config.queues if name not in queues]
        if missing:
            raise StoreUnavailable(
                f"RT at {self.config.host} has no queue {missing[0]!r} (or the token's user "
                "cannot see it); fix [backend.rt.queues]"
            )
        self.queue_ids = {name: queues[name] for name in self.config.queues}
        self.queue_names = {qid: name for name, qid in self.queue_ids.items()}
        first = next(iter(self.queue_ids.values()))
        queue = client.get_json(f"queue/{first}")
        queue_cf_ids = {
            str(ref.get("name", "")): int(ref["id"])
            for ref in queue.get("TicketCustomFields", [])
            if isinstance(ref, dict) and "id" in ref
        }
        if not queue_cf_ids:
            # Older REST2 lists no names: look the fields up one by one.
            for ref in queue.get("TicketCustomFields", []):
                cf = client.get_json(f"customfield/{ref['id']}")
                queue_cf_ids[str(cf.get("Name"))] = int(ref["id"])
        lacking = [name for name in CUSTOM_FIELDS.values() if name not in queue_cf_ids]
        if lacking:
            raise StoreUnavailable(
                f"RT at {self.config.host}: queue {next(iter(self.queue_ids))!r} lacks the "
                f"custom field {lacking[0]!r} (see docs/backends-rt.md)"
            )
        self.cf_ids = {name: queue_cf_ids[name] for name in CUSTOM_FIELDS.values()}

    def id_of(self, key: str) -> int:
        text = key.strip().upper()
        match = KEY_RE.match(text)
        if not match or match["prefix"] != self.config.key_prefix:
            raise NotFound(f"no ticket {key.strip()}")
        return int(match["number"])

    def key(self, ticket_id: int) -> str:
        return f"{self.config.key_prefix}-{ticket_id}"

    def ticket_from(self, data: Mapping[str, Any], roles: bool = False) -> Ticket:
        """A domain ticket from REST2's ticket JSON (a GET, or a search item with fields)."""
        try:
            ticket_id = int(data["id"])
            cfs = custom_field_values(data)
            state: dict[str, Any] = {}
            raw_state = cfs.get(CUSTOM_FIELDS["state"])
            if raw_state:
                try:
                    loaded = json.loads(raw_state)
                    state = loaded if isinstance(loaded, dict) else {}
                except ValueError:
                    state = {}
            values: dict[str, Any] = {}
            for name in STATE_FIELDS:
                if name in state:
                    values[name] = _from_state(name, state[name])
            queue = ref_id(data.get("Queue"))
            owner = ref_id(data.get("Owner"))
            rt_status = str(data.get("Status", "new"))
            status = self.from_rt_status.get(rt_status, Status.OPEN)
            if roles:
                admincc = [ref_id(r) for r in data.get("AdminCc") or []]
                values["watchers"] = tuple(w for w in admincc if w)
                if not values.get("requester_email"):
                    requestors = [ref_id(r) for r in data.get("Requestor") or []]
                    values["requester_email"] = next((r for r in requestors if r), "")
            due = cfs.get(CUSTOM_FIELDS["sla_due"])
            closed = cfs.get(CUSTOM_FIELDS["closed"])
            env = cfs.get(CUSTOM_FIELDS["environment"])
            return Ticket(
                key=self.key(ticket_id),
                subject=str(data.get("Subject", "")),
                type=_enum_or(TicketType, cfs.get(CUSTOM_FIELDS["type"]), TicketType.INCIDENT),
                priority=priority_from(data.get("Priority", 50)),
                status=status,
                tier=self.config.queues.get(self.queue_names.get(int(queue or 0), ""), 1),
                assignee=None if owner in (None, "", "Nobody") else owner,
                team=cfs.get(CUSTOM_FIELDS["team"]) or None,
                organization=cfs.get(CUSTOM_FIELDS["organization"]) or None,
                environment=_enum_or(Environment, env, None),
                escalation=_enum_or(
                    Escalation, cfs.get(CUSTOM_FIELDS["escalation"]), Escalation.NONE
                ),
                created_at=rt_date(data.get("Created")) or epoch(),
                updated_at=rt_date(data.get("LastUpdated")) or epoch(),
                closed_at=parse_ts(closed) if closed else None,
                sla_due_at=parse_ts(due) if due else None,
                version=int(state.get("version", 1)),
                id=ticket_id,
                **values,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RtBadResponse(
                f"RT at {self.config.host} sent a ticket this store cannot read ({exc!s:.60})"
            ) from None

    def rt_status(self, status: Status) -> str:
        try:
            return self.statuses[status]
        except KeyError:
            raise RtUnsupported(
                f"RT's default lifecycle has no status for {status.label}: configure the "
                "helpdesk lifecycle (docs/backends-rt.md)"
            ) from None

    def queue_for(self, tier: int) -> str:
        for name, queue_tier in self.config.queues.items():
            if queue_tier == tier:
                return name
        raise InvalidInput(f"no RT queue is configured for tier {tier} ([backend.rt.queues])")
