"""RtRepository: the TicketRepository on Request Tracker 5, over its REST2 API (httpx).

How RT's objects map to ours is written down in docs/backends-rt.md; in short:

- a ticket is an RT ticket in one of the configured queues (queue → tier); its key is
  `{prefix}-{RT id}`; Subject, Status (through a lifecycle map), Priority (P1..P4 as
  100/75/50/25), Owner (assignee), Requestor (requester), AdminCc (watchers), Created and
  LastUpdated are RT's own fields (RT stamps Created with its own clock: REST2 has ignored
  a Created given on create since 5.0.3+dfsg-3~deb12u7, so RT lacks KEEPS_CREATED);
- what RT has no field for lives in ticket custom fields: searchable ones of their own
  (type, environment, organization, team, escalation, SLA due, SLA clock, closed) and one
  JSON field, "Helpdesk state", for the rest (SLA pauses and timestamps, escalation
  details, CSAT, the version counter and the record of the last write);
- public replies are RT Correspond, internal notes are RT Comment; the history is read
  from RT's transactions.

Every method raises StoreError subclasses only, with one-line messages that never hold
the token. A queue page is one search request with `fields=`; single tickets are fetched
with If-None-Match against the ETag RT sends (the id of the ticket's last transaction),
and every write sends If-Match with that ETag, so a write racing another one is refused
by RT (412) and reported as the same ConflictError the SQL store raises.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from ..domain.model import (
    KEY_RE,
    MAX_ATTACHMENT_BYTES,
    Agent,
    Attachment,
    AuditEntry,
    Channel,
    Comment,
    CommentKind,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    TicketType,
)
from .base import (
    Capability,
    Change,
    ConflictError,
    InvalidInput,
    NewAttachment,
    NotFound,
    Page,
    Query,
    SortKey,
    StoreError,
    StoreUnavailable,
    Unsupported,
)
from .fields import (
    AUDITED_FIELDS,
    FIELD_CHECKS,
    audit_text,
    check_attachment_size,
    check_str,
    check_ts,
    search_symbols,
    search_tokens,
)

__all__ = [
    "CUSTOM_FIELDS",
    "RtAuthError",
    "RtBadResponse",
    "RtConfig",
    "RtForbidden",
    "RtRepository",
    "RtServerError",
    "RtTimeout",
    "RtUnsupported",
]

# --- errors -------------------------------------------------------------------------


class RtAuthError(StoreUnavailable):
    """RT refused the token (401): it is wrong, expired or revoked."""


class RtForbidden(StoreError):
    """RT understood the request but the token's user lacks the right (403)."""


class RtServerError(StoreUnavailable):
    """RT failed (5xx)."""


class RtTimeout(StoreUnavailable):
    """RT did not answer in time."""


class RtBadResponse(StoreUnavailable):
    """RT answered something that is not the JSON REST2 sends (a proxy page, a bug)."""


class RtUnsupported(Unsupported):
    """RT cannot do this (see `RtRepository.capabilities`)."""


# --- configuration ------------------------------------------------------------------

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

_READ_ALIASES = {
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
    "closed": "Closed",
    "state": "Helpdesk state",
}
"""Ticket custom fields the store needs (single-value; "Helpdesk state" is Text)."""

_CF_FOR_FIELD = {
    "type": "type",
    "environment": "environment",
    "organization": "organization",
    "team": "team",
    "escalation": "escalation",
    "sla_due_at": "sla_due",
    "closed_at": "closed",
}

_STATE_FIELDS = (
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


@dataclass(frozen=True, slots=True)
class RtConfig:
    """Where RT is and how its queues and statuses map to ours."""

    url: str
    queues: Mapping[str, int]
    """RT queue name → tier (1-3); the first queue of a tier is where that tier's tickets go."""
    key_prefix: str = "RT"
    lifecycle: str = "helpdesk"
    """"helpdesk" (our seven statuses configured in RT) or "default" (RT's stock one)."""
    verify_tls: bool = True
    timeout: float = 15.0
    cache_seconds: float = 30.0
    """How long a search result may be served again without asking RT; any change seen
    through `change_token` (which the queue polls) or made here drops it sooner."""
    agents: Mapping[str, tuple[int, Role]] = field(default_factory=dict)
    """Tier and role of RT users (default tier 3, agent); each named user is an agent."""
    agent_groups: tuple[str, ...] = ()
    """RT user-defined groups whose privileged members (nested groups followed) are the
    helpdesk's agents, beside the users named in `agents`."""
    cache_dir: Path | None = None
    """Where downloaded attachments are kept (folders 0700, files 0600); None: a private
    temporary folder, removed when the repository is closed."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(f"backend.url: expected an http(s) URL of RT, got {self.url!r:.80}")
        if parts.password or parts.username:
            raise InvalidInput("backend.url: must not hold a user or password")
        if not self.queues:
            raise InvalidInput("backend.rt.queues: name at least one RT queue and its tier")
        for name, tier in self.queues.items():
            if tier not in (1, 2, 3):
                raise InvalidInput(f"backend.rt.queues.{name}: tier must be 1, 2 or 3")
        if self.lifecycle not in ("helpdesk", "default"):
            raise InvalidInput(
                f"backend.rt.lifecycle: expected 'helpdesk' or 'default', got {self.lifecycle!r}"
            )
        if not re.fullmatch(r"[A-Z][A-Z0-9]{0,9}", self.key_prefix):
            raise InvalidInput(f"key prefix must be 1-10 capitals/digits, not {self.key_prefix!r}")

    @property
    def host(self) -> str:
        """The server as people name it in messages: scheme, host and port, no path."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


class _TokenAuth(httpx.Auth):
    """Sends `Authorization: token …`; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._header = f"token {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "<RT token auth>"


# --- value conversions ----------------------------------------------------------------


def _fmt_ts(value: datetime) -> str:
    """A sortable UTC text for custom fields: 2025-03-04 09:00:00.000000."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=UTC)


def _sql_date(value: datetime) -> str:
    """A TicketSQL date with its offset, so RT never reads it in its user's timezone."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def _rt_date(text: object) -> datetime | None:
    """REST2 dates are W3CDTF in UTC; RT writes 1970-01-01 for "not set"."""
    if not isinstance(text, str) or not text or text.startswith("1970-01-01"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _priority_from(value: object) -> Priority:
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


def _sql_str(value: str) -> str:
    """A TicketSQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _cf(name: str) -> str:
    return "CF.{" + name + "}"


def _search_tokens(text: str | None) -> list[str]:
    """The words (letters and digits) and the runs of symbols ("🔥") of a search: a search
    of symbols alone must not turn into no condition at all, which would match every
    ticket. Each is quoted by `_sql_str`, so nothing in it is a TicketSQL operator."""
    words = (t.lower() for t in search_tokens(text))
    return list(dict.fromkeys([*words, *search_symbols(text)]))


_E = TypeVar("_E", bound=Enum)


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- the Helpdesk state JSON ----------------------------------------------------------


def _state_value(name: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return _fmt_ts(value)
    if name == "pauses":
        return [
            [_fmt_ts(p.start), None if p.end is None else _fmt_ts(p.end), p.status.value]
            for p in value  # type: ignore[attr-defined]
        ]
    if isinstance(value, tuple):
        return list(value)
    return value


_TS_STATE = {
    "first_response_at",
    "resolved_at",
    "last_public_update_at",
    "last_customer_reply_at",
    "escalated_at",
    "sla_risk_at",
}


def _from_state(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _TS_STATE:
        return _parse_ts(value)
    if name == "pauses":
        return tuple(
            PauseInterval(_parse_ts(s), None if e is None else _parse_ts(e), Status(st))
            for s, e, st in value
        )
    if name in ("watchers", "tags", "sla_flags"):
        return tuple(str(v) for v in value)
    if name == "channel":
        return Channel(value)
    return value


@dataclass(slots=True)
class _Write:
    """What one write of ours recorded in "Helpdesk state" (for the history)."""

    version: int
    actor: str
    reason: str | None
    entries: list[tuple[str, str | None, str | None]]
    events: list[tuple[str, str | None]]
    comment: str | None
    comment_author: str | None = None
    from_customer: bool = False
    rt_fields: tuple[str, ...] = ()
    files: tuple[tuple[str, int, str, str], ...] = ()
    """(name, size, sha256, content type) of each file the write's message carried."""


# --- the repository -------------------------------------------------------------------


@dataclass(slots=True)
class _Cached:
    etag: str
    data: dict[str, Any]


class RtRepository:
    """Tickets in Request Tracker 5. Thread-safe: share one per process."""

    SEARCH_FIELDS = "Subject,Status,Priority,Queue,Owner,Created,LastUpdated,CustomFields"

    def __init__(
        self, config: RtConfig, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        if not token or any(c.isspace() for c in token):
            raise RtAuthError(f"no usable RT token for {config.host}: run `helpdesk-tui login`")
        self._config = config
        self._statuses = HELPDESK_LIFECYCLE if config.lifecycle == "helpdesk" else DEFAULT_LIFECYCLE
        self._from_rt_status = {v: k for k, v in self._statuses.items()} | {
            k: v for k, v in _READ_ALIASES.items() if k not in self._statuses.values()
        }
        self._client = httpx.Client(
            base_url=config.url.rstrip("/") + "/REST/2.0/",
            auth=_TokenAuth(token),
            verify=config.verify_tls,
            timeout=config.timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "helpdesk-tui"},
            transport=transport,
        )
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._tickets: dict[int, _Cached] = {}
        self._searches: dict[str, tuple[float, dict[str, Any]]] = {}
        self._seen: dict[tuple[int, int], str] = {}
        self._token_seen: str | None = None
        self._queue_names: dict[int, str] = {}
        self._queue_ids: dict[str, int] = {}
        self._cf_ids: dict[str, int] = {}
        self._user_ids: dict[str, str] = {}
        self._me = ""
        self._known_users: set[str] = set()
        self._cache_root: Path | None = None
        self._own_cache: Path | None = None
        self.requests = 0
        self.revalidated = 0
        """How many single-ticket reads RT answered 304 Not Modified."""
        """How many HTTP requests this repository sent (tests and benchmarks read it)."""

    @classmethod
    def open(
        cls, config: RtConfig, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> RtRepository:
        """Connect, check the token, and learn the queues' and custom fields' ids.

        Raises StoreUnavailable (or a subclass) when RT cannot be used as configured.
        """
        repo = cls(config, token, transport=transport)
        try:
            repo._discover()
        except BaseException:
            repo.close()
            raise
        return repo

    def __repr__(self) -> str:
        return f"<RtRepository {self._config.host}>"

    # -- protocol: properties --------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Search, attachments, watchers, CSAT and live polling; RT's REST2 offers no purge,
        no bulk import, no agent admin and no locked claim."""
        return frozenset(
            {
                Capability.FULL_TEXT,
                Capability.ATTACHMENTS,
                Capability.WATCHERS,
                Capability.CSAT,
                Capability.LIVE_CHANGES,
            }
        )

    @property
    def key_prefix(self) -> str:
        return self._config.key_prefix

    @property
    def config(self) -> RtConfig:
        return self._config

    # -- HTTP plumbing -----------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> httpx.Response:
        """One request; every failure becomes a one-line StoreError without the token."""
        host = self._config.host
        what = f"RT at {host}"
        try:
            self.requests += 1
            response = self._client.request(
                method,
                path,
                params=params,
                content=None if body is None else json.dumps(body).encode(),
                headers={
                    **({"Content-Type": "application/json"} if body is not None else {}),
                    **(headers or {}),
                },
            )
        except httpx.TimeoutException:
            raise RtTimeout(f"{what} did not answer within {self._config.timeout:g} s") from None
        except httpx.ConnectError as exc:
            reason = _connect_reason(exc)
            raise StoreUnavailable(f"cannot reach {what}: {reason}") from None
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"{what}: {type(exc).__name__}") from None
        status = response.status_code
        if status in ok or status in (304, 412):
            return response
        detail = _rt_message(response)
        if status == 401:
            raise RtAuthError(
                f"{what} refused the token (401): run `helpdesk-tui login` or set $HELPDESK_TOKEN"
            )
        if status == 403 or (status == 400 and _PERMISSION_DENIED.search(detail)):
            raise RtForbidden(
                f"{what} denied it ({status}, RT rights){': ' + detail if detail else ''}"
            )
        if status == 404:
            raise NotFound(f"{what}: not found{': ' + detail if detail else ''}")
        if status >= 500:
            raise RtServerError(f"{what} failed ({status}){': ' + detail if detail else ''}")
        if status in (400, 409, 422):
            raise InvalidInput(f"{what} refused it ({status}){': ' + detail if detail else ''}")
        raise RtBadResponse(f"{what} answered {status} unexpectedly")

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise RtBadResponse(
                f"RT at {self._config.host} sent malformed JSON ({kind}, "
                f"{len(response.content)} bytes) for {response.request.url.path}"
            ) from None

    def _get_json(self, path: str, params: Any = None) -> Any:
        return self._json(self._request("GET", path, params=params))

    def _items(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a REST2 collection, 100 a request."""
        page = 1
        while True:
            data = self._get_json(path, {**params, "per_page": 100, "page": page})
            items = _expect_list(data, "items", self._config.host)
            yield from items
            if len(items) < 100:
                return
            page += 1

    def _discover(self) -> None:
        me = self._get_json("rt")
        if not isinstance(me, dict) or "Version" not in me:
            raise RtBadResponse(f"{self._config.host} does not look like RT's REST2 API")
        queues = {
            str(q.get("Name")): int(q["id"])
            for q in self._items("queues/all", {"fields": "Name,Lifecycle"})
            if "id" in q
        }
        missing = [name for name in self._config.queues if name not in queues]
        if missing:
            raise StoreUnavailable(
                f"RT at {self._config.host} has no queue {missing[0]!r} (or the token's user "
                "cannot see it); fix [backend.rt.queues]"
            )
        self._queue_ids = {name: queues[name] for name in self._config.queues}
        self._queue_names = {qid: name for name, qid in self._queue_ids.items()}
        first = next(iter(self._queue_ids.values()))
        queue = self._get_json(f"queue/{first}")
        applied = {
            str(ref.get("name", "")): int(ref["id"])
            for ref in queue.get("TicketCustomFields", [])
            if isinstance(ref, dict) and "id" in ref
        }
        if not applied:
            # Older REST2 lists no names: look the fields up one by one.
            for ref in queue.get("TicketCustomFields", []):
                cf = self._get_json(f"customfield/{ref['id']}")
                applied[str(cf.get("Name"))] = int(ref["id"])
        lacking = [name for name in CUSTOM_FIELDS.values() if name not in applied]
        if lacking:
            raise StoreUnavailable(
                f"RT at {self._config.host}: queue {next(iter(self._queue_ids))!r} lacks the "
                f"custom field {lacking[0]!r} (see docs/backends-rt.md)"
            )
        self._cf_ids = {name: applied[name] for name in CUSTOM_FIELDS.values()}

    def close(self) -> None:
        self._client.close()
        if self._own_cache is not None:
            shutil.rmtree(self._own_cache, ignore_errors=True)
            self._own_cache = self._cache_root = None

    # -- tickets in, tickets out ---------------------------------------------------------

    def _id_of(self, key: str) -> int:
        text = key.strip().upper()
        match = KEY_RE.match(text)
        if not match or match["prefix"] != self._config.key_prefix:
            raise NotFound(f"no ticket {key.strip()}")
        return int(match["number"])

    def _key(self, ticket_id: int) -> str:
        return f"{self._config.key_prefix}-{ticket_id}"

    def _cf_values(self, data: Mapping[str, Any]) -> dict[str, str]:
        found: dict[str, str] = {}
        for cf in data.get("CustomFields") or []:
            if not isinstance(cf, dict):
                continue
            values = cf.get("values") or []
            if values and isinstance(values[0], str):
                found[str(cf.get("name", ""))] = values[0]
        return found

    def _ticket_from(self, data: Mapping[str, Any], roles: bool = False) -> Ticket:
        """A domain ticket from REST2's ticket JSON (a GET, or a search item with fields)."""
        try:
            ticket_id = int(data["id"])
            cfs = self._cf_values(data)
            state: dict[str, Any] = {}
            raw_state = cfs.get(CUSTOM_FIELDS["state"])
            if raw_state:
                try:
                    loaded = json.loads(raw_state)
                    state = loaded if isinstance(loaded, dict) else {}
                except ValueError:
                    state = {}
            values: dict[str, Any] = {}
            for name in _STATE_FIELDS:
                if name in state:
                    values[name] = _from_state(name, state[name])
            queue = _ref_id(data.get("Queue"))
            owner = _ref_id(data.get("Owner"))
            rt_status = str(data.get("Status", "new"))
            status = self._from_rt_status.get(rt_status, Status.OPEN)
            if roles:
                admincc = [_ref_id(r) for r in data.get("AdminCc") or []]
                values["watchers"] = tuple(w for w in admincc if w)
                if not values.get("requester_email"):
                    requestors = [_ref_id(r) for r in data.get("Requestor") or []]
                    values["requester_email"] = next((r for r in requestors if r), "")
            due = cfs.get(CUSTOM_FIELDS["sla_due"])
            closed = cfs.get(CUSTOM_FIELDS["closed"])
            env = cfs.get(CUSTOM_FIELDS["environment"])
            return Ticket(
                key=self._key(ticket_id),
                subject=str(data.get("Subject", "")),
                type=_enum_or(TicketType, cfs.get(CUSTOM_FIELDS["type"]), TicketType.INCIDENT),
                priority=_priority_from(data.get("Priority", 50)),
                status=status,
                tier=self._config.queues.get(self._queue_names.get(int(queue or 0), ""), 1),
                assignee=None if owner in (None, "", "Nobody") else owner,
                team=cfs.get(CUSTOM_FIELDS["team"]) or None,
                organization=cfs.get(CUSTOM_FIELDS["organization"]) or None,
                environment=_enum_or(Environment, env, None),
                escalation=_enum_or(
                    Escalation, cfs.get(CUSTOM_FIELDS["escalation"]), Escalation.NONE
                ),
                created_at=_rt_date(data.get("Created")) or _epoch(),
                updated_at=_rt_date(data.get("LastUpdated")) or _epoch(),
                closed_at=_parse_ts(closed) if closed else None,
                sla_due_at=_parse_ts(due) if due else None,
                version=int(state.get("version", 1)),
                id=ticket_id,
                **values,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RtBadResponse(
                f"RT at {self._config.host} sent a ticket this store cannot read ({exc!s:.60})"
            ) from None

    def _fetch(self, ticket_id: int, fresh: bool = False) -> tuple[dict[str, Any], str]:
        """The ticket's JSON and ETag, revalidated with If-None-Match when cached."""
        cached = None if fresh else self._tickets.get(ticket_id)
        headers = {"If-None-Match": f'"{cached.etag}"'} if cached else {}
        try:
            response = self._request("GET", f"ticket/{ticket_id}", headers=headers)
        except NotFound:
            raise NotFound(f"no ticket {self._key(ticket_id)}") from None
        if response.status_code == 304 and cached is not None:
            self.revalidated += 1
            return cached.data, cached.etag
        data = self._json(response)
        if not isinstance(data, dict) or "id" not in data:
            raise RtBadResponse(f"RT at {self._config.host} sent no ticket for {ticket_id}")
        etag = response.headers.get("ETag", "").strip('"')
        queue = self._queue_names.get(int(_ref_id(data.get("Queue")) or 0))
        if queue is None:
            raise NotFound(f"no ticket {self._key(ticket_id)} in the helpdesk queues")
        with self._lock:
            self._tickets[ticket_id] = _Cached(etag, data)
        return data, etag

    def get(self, key: str) -> Ticket:
        ticket_id = self._id_of(key)
        data, etag = self._fetch(ticket_id)
        ticket = self._ticket_from(data, roles=True)
        with self._lock:
            self._seen.setdefault((ticket_id, ticket.version), etag)
        return ticket

    # -- searching ----------------------------------------------------------------------

    def _ticket_sql(self, q: Query) -> str | None:
        """The TicketSQL for a query's filters; None when nothing can match."""
        terms = ["(" + " OR ".join(f"Queue = {_sql_str(n)}" for n in self._queue_ids) + ")"]

        def any_of(items: Iterable[str]) -> None:
            options = list(items)
            terms.append("(" + " OR ".join(options) + ")")

        if q.statuses:
            names = sorted({self._statuses[s] for s in q.statuses if s in self._statuses})
            if not names:
                return None
            any_of(f"Status = {_sql_str(n)}" for n in names)
        if q.priorities:
            bands = {
                Priority.CRITICAL: "Priority >= 88",
                Priority.HIGH: "(Priority >= 63 AND Priority < 88)",
                Priority.MEDIUM: "(Priority >= 38 AND Priority < 63)",
                Priority.LOW: "Priority < 38",
            }
            any_of(bands[Priority(p)] for p in sorted(q.priorities, key=lambda p: p.rank))
        if q.types:
            cf = _cf(CUSTOM_FIELDS["type"])
            options = [f"{cf} = {_sql_str(TicketType(t).value)}" for t in sorted(q.types)]
            if TicketType.INCIDENT in q.types:
                options.append(f"{cf} IS NULL")
            any_of(options)
        if q.tiers:
            queues = [n for n, tier in self._config.queues.items() if tier in q.tiers]
            if not queues:
                return None
            any_of(f"Queue = {_sql_str(n)}" for n in queues)
        if q.assignees or q.unassigned:
            people = sorted(q.assignees)
            if q.unassigned:
                people.append("Nobody")
            any_of(f"Owner = {_sql_str(p)}" for p in people)
        if q.organizations is not None:
            if not q.organizations:
                return None
            cf = _cf(CUSTOM_FIELDS["organization"])
            any_of(f"{cf} = {_sql_str(o)}" for o in sorted(q.organizations))
        if q.watcher is not None:
            terms.append(f"AdminCc.Name = {_sql_str(q.watcher)}")
        if q.escalations:
            cf = _cf(CUSTOM_FIELDS["escalation"])
            options = [f"{cf} = {_sql_str(Escalation(e).value)}" for e in sorted(q.escalations)]
            if Escalation.NONE in q.escalations:
                options.append(f"{cf} IS NULL")
            any_of(options)
        if q.due_before is not None:
            terms.append(f"{_cf(CUSTOM_FIELDS['sla_due'])} < {_sql_str(_fmt_ts(q.due_before))}")
        if q.created_after is not None:
            terms.append(f"Created >= {_sql_str(_sql_date(q.created_after))}")
        if q.created_before is not None:
            terms.append(f"Created < {_sql_str(_sql_date(q.created_before))}")
        if q.closed_before is not None:
            terms.append(f"{_cf(CUSTOM_FIELDS['closed'])} < {_sql_str(_fmt_ts(q.closed_before))}")
        for token in _search_tokens(q.text):
            literal = _sql_str(token)
            terms.append(f"(Subject LIKE {literal} OR Content LIKE {literal})")
        return " AND ".join(terms)

    def _order(self, q: Query) -> list[tuple[str, str]]:
        up, down = ("DESC", "ASC") if q.descending else ("ASC", "DESC")
        clock = (_cf(CUSTOM_FIELDS["sla_clock"]), "ASC")  # "stopped" after "running", both ways
        due = (_cf(CUSTOM_FIELDS["sla_due"]), up)
        sort = SortKey(q.sort)
        if sort is SortKey.SLA_DUE:
            return [clock, due, ("id", up)]
        if sort is SortKey.PRIORITY:
            return [("Priority", down), clock, due, ("id", up)]
        if sort is SortKey.CREATED:
            return [("Created", up), ("id", up)]
        if sort is SortKey.UPDATED:
            return [("LastUpdated", up), ("id", up)]
        return [("id", up)]

    def _search(
        self, sql: str, order: list[tuple[str, str]], page: int, per_page: int, fields_: str
    ) -> dict[str, Any]:
        params: list[tuple[str, str | int]] = [("query", sql)]
        params += [("orderby", name) for name, _ in order]
        params += [("order", direction) for _, direction in order]
        params += [("page", page), ("per_page", per_page), ("fields", fields_)]
        cache_key = json.dumps(params)
        now = time.monotonic()
        with self._lock:
            hit = self._searches.get(cache_key)
            if hit is not None and now - hit[0] < self._config.cache_seconds:
                return hit[1]
        data = self._get_json("tickets", params)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise RtBadResponse(f"RT at {self._config.host} sent a search result without items")
        with self._lock:
            if len(self._searches) > 256:
                self._searches.clear()
            self._searches[cache_key] = (now, data)
        return data

    def query(self, query: Query) -> Page:
        """One page and the total: one search request with `fields=` (cached), or a few
        when the page is larger than RT's 100 rows or straddles two of RT's pages."""
        offset, limit = max(0, query.offset), max(0, query.limit)
        sql = self._ticket_sql(query)
        if sql is None:
            return Page([], 0, offset, limit)
        order = self._order(query)
        rows: list[dict[str, Any]] = []
        total: int | None = None
        start, end = offset, offset + limit
        while True:
            per_page, page = _page_for(start, max(1, end - start))
            data = self._search(sql, order, page, per_page, self.SEARCH_FIELDS)
            total = _total(data, self._config.host)
            first = (page - 1) * per_page
            items = data["items"]
            rows.extend(items[start - first : end - first])
            start = first + len(items)
            if start >= end or len(items) < per_page or start >= total or limit == 0:
                break
        return Page([self._ticket_from(r) for r in rows[:limit]], total, offset, limit)

    def count(self, query: Query) -> int:
        sql = self._ticket_sql(query)
        if sql is None:
            return 0
        return _total(self._search(sql, [("id", "ASC")], 1, 1, "id"), self._config.host)

    def change_token(self) -> str:
        """The id of the newest transaction RT shows this user: moves on every write."""
        data = self._get_json(
            "transactions",
            [
                ("query", "ObjectType = 'RT::Ticket'"),
                ("orderby", "id"),
                ("order", "DESC"),
                ("per_page", 1),
                ("fields", "id"),
            ],
        )
        items = _expect_list(data, "items", self._config.host)
        token = str(items[0].get("id")) if items else "0"
        with self._lock:
            if self._token_seen is not None and token != self._token_seen:
                self._searches.clear()
            self._token_seen = token
        return token

    # -- conversation and history ----------------------------------------------------

    def _transactions(self, ticket_id: int) -> list[dict[str, Any]]:
        self._fetch(ticket_id)  # NotFound outside the helpdesk queues
        return list(
            self._items(
                f"ticket/{ticket_id}/history",
                {"fields": "Type,Field,OldValue,NewValue,Data,Creator,Created,ObjectType"},
            )
        )

    def _message_bodies(self, ticket_id: int) -> dict[int, str]:
        """The text of each transaction's message, by transaction id. Only unnamed
        text/plain parts are asked for: the contents of files stay on RT."""
        bodies: dict[int, str] = {}
        for item in self._items(
            f"ticket/{ticket_id}/attachments",
            {"fields": "TransactionId,Content", "query": _BODY_PARTS, "orderby": "id"},
        ):
            txn = _ref_id(item.get("TransactionId"))
            text = item.get("Content")
            if txn is not None and isinstance(text, str):
                bodies.setdefault(int(txn), text)
        return bodies

    def _files(self, ticket_id: int) -> dict[int, list[dict[str, Any]]]:
        """The ticket's files (named parts, without their content) by transaction id."""
        files: dict[int, list[dict[str, Any]]] = {}
        for item in self._items(
            f"ticket/{ticket_id}/attachments",
            {
                "fields": "TransactionId,Filename,ContentType,ContentLength",
                "query": _FILE_PARTS,
                "orderby": "id",
            },
        ):
            txn = _ref_id(item.get("TransactionId"))
            if txn is not None and str(item.get("id", "")).isdigit():
                files.setdefault(int(txn), []).append(item)
        return files

    def comments(self, key: str) -> list[Comment]:
        """Replies and notes, oldest first, each with the files RT keeps in its message."""
        ticket_id = self._id_of(key)
        transactions = self._transactions(ticket_id)
        data, _ = self._fetch(ticket_id)
        requestors = {_ref_id(r) for r in data.get("Requestor") or []}
        bodies = self._message_bodies(ticket_id)
        files = self._files(ticket_id)
        state = _loads(self._cf_values(data).get(CUSTOM_FIELDS["state"]))
        created_by = state.get("created_by")
        found: list[Comment] = []
        pending: _Write | None = None  # the write of ours that announced the next message
        pending_user = ""  # the RT user who made it
        for txn in transactions:
            kind = txn.get("Type")
            creator = _ref_id(txn.get("Creator")) or ""
            if kind == "Create":
                pending = None
                if created_by:
                    pending = _Write(1, str(created_by), None, [], [], "note")
                    pending.comment_author = state.get("first_author")
                    pending.from_customer = bool(state.get("first_from_customer"))
                pending_user = creator
                continue
            write = self._write_record(txn)
            if write is not None:
                pending, pending_user = (write if write.comment else None), creator
                continue
            if kind in _FILE_TROUBLE and found:  # RT did not keep a file of that message whole
                found[-1] = _spoilt(found[-1], txn)
                continue
            if kind not in ("Correspond", "Comment"):
                continue
            author, from_customer = creator, creator in requestors
            recorded: tuple[tuple[str, int, str, str], ...] = ()
            if pending is not None and pending_user == creator:
                author = pending.comment_author or pending.actor
                from_customer, recorded = pending.from_customer, pending.files
            pending = None
            txn_id, at = int(txn["id"]), _rt_date(txn.get("Created")) or _epoch()
            found.append(
                Comment(
                    kind=CommentKind.REPLY if kind == "Correspond" else CommentKind.NOTE,
                    author=author,
                    body=bodies.get(txn_id, "").rstrip("\n"),
                    created_at=at,
                    from_customer=from_customer,
                    attachments=_attachments(files.get(txn_id, []), recorded, txn_id, author, at),
                    id=txn_id,
                )
            )
        return found

    def _write_record(self, txn: Mapping[str, Any]) -> _Write | None:
        """Our write's record, if this transaction set "Helpdesk state" with one."""
        if txn.get("Type") != "CustomField":
            return None
        if str(txn.get("Field")) != str(self._cf_ids.get(CUSTOM_FIELDS["state"])):
            return None
        try:
            state = json.loads(str(txn.get("NewValue") or "{}"))
            write = state.get("write")
            if not isinstance(write, dict):
                return None
            return _Write(
                version=int(state.get("version", 1)),
                actor=str(write.get("actor", "")),
                reason=write.get("reason"),
                entries=[(str(f), o, n) for f, o, n in write.get("entries", [])],
                events=[(str(n), d) for n, d in write.get("events", [])],
                comment=write.get("comment"),
                comment_author=write.get("author"),
                from_customer=bool(write.get("from_customer")),
                rt_fields=tuple(str(f) for f in write.get("rt", [])),
                files=tuple(
                    (str(name), int(size), str(sha), str(kind))
                    for name, size, sha, kind in write.get("files", [])
                ),
            )
        except (ValueError, TypeError, AttributeError):
            return None

    def history(self, key: str) -> list[AuditEntry]:
        """Our writes as they recorded themselves, RT's own transactions (from RT's web UI,
        mail, scrips) mapped to our fields, and every reply and note."""
        ticket_id = self._id_of(key)
        transactions = self._transactions(ticket_id)
        ticket_key = self._key(ticket_id)
        entries: list[AuditEntry] = []
        version = 1
        covered = self._covered(transactions)
        pending: tuple[str, _Write] | None = None  # (RT user, write) announcing a message
        files: dict[int, list[dict[str, Any]]] | None = None  # asked for when a write sent some
        cf_names = {str(v): k for k, v in self._cf_ids.items()}
        for txn in transactions:
            kind = str(txn.get("Type", ""))
            at = _rt_date(txn.get("Created")) or _epoch()
            creator = _ref_id(txn.get("Creator")) or ""
            txn_id = int(txn["id"])
            if kind == "Create":
                created_by, subject = self._created_info(ticket_id, transactions)
                entries.append(
                    AuditEntry(
                        ticket_key,
                        at,
                        created_by or creator,
                        "created",
                        None,
                        subject,
                        None,
                        1,
                        txn_id,
                    )
                )
                if created_by:
                    pending = (creator, _Write(1, created_by, None, [], [], "note"))
                continue
            write = self._write_record(txn)
            if write is not None:
                version = write.version
                pending = (creator, write) if write.comment else None
                for name, old, new in write.entries:
                    entries.append(
                        AuditEntry(
                            ticket_key,
                            at,
                            write.actor,
                            name,
                            old,
                            new,
                            write.reason,
                            version,
                            txn_id,
                        )
                    )
                for name, detail in write.events:
                    entries.append(
                        AuditEntry(
                            ticket_key,
                            at,
                            write.actor,
                            name,
                            None,
                            detail,
                            write.reason,
                            version,
                            txn_id,
                        )
                    )
                continue
            if kind in ("Correspond", "Comment"):
                ours = pending[1] if pending is not None and pending[0] == creator else None
                pending = None
                actor, reason = (ours.actor, ours.reason) if ours else (creator, None)
                said = [("reply" if kind == "Correspond" else "note", str(txn_id))]
                if ours is not None and ours.files:
                    files = self._files(ticket_id) if files is None else files
                    said += [
                        ("attachment", f"{part.get('Filename')} (#{part['id']})")
                        for part in files.get(txn_id, [])
                    ]
                entries += [
                    AuditEntry(ticket_key, at, actor, name, None, new, reason, version, txn_id)
                    for name, new in said
                ]
                continue
            if txn_id in covered or creator == "RT_System":
                continue  # part of a write of ours (recorded above), or RT's own echo of it
            mapped = self._foreign_entry(txn, cf_names)
            if mapped is not None:
                name, old, new = mapped
                entries.append(
                    AuditEntry(ticket_key, at, creator, name, old, new, None, version, txn_id)
                )
        return entries

    @staticmethod
    def _rt_field(txn: Mapping[str, Any]) -> str:
        """Which RT field a transaction changed, in the words our writes record."""
        kind, fld = str(txn.get("Type", "")), str(txn.get("Field") or "")
        if kind == "Status":
            return "Status"
        if kind == "CustomField":
            return f"CF:{fld}"
        if kind in ("Give", "Take", "Steal", "Untake"):
            return "Owner"
        return fld

    def _covered(self, transactions: list[dict[str, Any]]) -> set[int]:
        """Ids of RT's own transactions that one of our writes made (and recorded).

        A write of ours is one run of transactions by one RT user (RT's mail echoes may
        sit inside it); its record names the RT fields it set, and only those are taken
        as its own: a change somebody made as the same user in RT's UI still shows.
        """
        covered: set[int] = set()
        run: list[dict[str, Any]] = []
        fields_set: set[str] = set()

        def close() -> None:
            for txn in run:
                if self._rt_field(txn) in fields_set:
                    covered.add(int(txn["id"]))
            run.clear()
            fields_set.clear()

        creator: str | None = None
        for txn in transactions:
            who = _ref_id(txn.get("Creator")) or ""
            if who == "RT_System":
                continue
            if who != creator or txn.get("Type") == "Create":
                close()
                creator = who
            run.append(txn)
            write = self._write_record(txn)
            if write is not None:
                fields_set.update(write.rt_fields)
                fields_set.add(f"CF:{self._cf_ids.get(CUSTOM_FIELDS['state'])}")
        close()
        return covered

    def _created_info(
        self, ticket_id: int, transactions: list[dict[str, Any]]
    ) -> tuple[str | None, str | None]:
        data, _ = self._fetch(ticket_id)
        subject: str | None = str(data.get("Subject", ""))
        for txn in transactions:
            if txn.get("Type") == "Set" and txn.get("Field") == "Subject":
                subject = str(txn.get("OldValue", ""))
                break
        state = self._cf_values(data).get(CUSTOM_FIELDS["state"])
        created_by = None
        if state:
            try:
                created_by = json.loads(state).get("created_by")
            except (ValueError, AttributeError):
                created_by = None
        return created_by, subject

    def _foreign_entry(
        self, txn: Mapping[str, Any], cf_names: Mapping[str, str]
    ) -> tuple[str, str | None, str | None] | None:
        """A change made outside helpdesk-tui, in our fields' words (None: not ours to show)."""
        kind = str(txn.get("Type", ""))
        fld = str(txn.get("Field") or "")
        old, new = txn.get("OldValue") or None, txn.get("NewValue") or None
        if kind == "Status" or (kind == "Set" and fld == "Status"):
            return (
                "status",
                _status_text(self._from_rt_status, old),
                _status_text(self._from_rt_status, new),
            )
        if kind == "Set" and fld == "Priority":
            return ("priority", _prio_text(old), _prio_text(new))
        if kind == "Set" and fld == "Subject":
            return ("subject", old, new)
        if kind == "Set" and fld == "Queue":

            def tier(value: object) -> str | None:
                name = self._queue_names.get(int(str(value))) if str(value).isdigit() else None
                return None if name is None else str(self._config.queues[name])

            return ("tier", tier(old), tier(new))
        if kind in ("Set", "Give", "Take", "Steal", "Untake") and fld == "Owner":
            return ("assignee", self._user_name(old), self._user_name(new))
        if kind in ("AddWatcher", "DelWatcher") and fld == "AdminCc":
            user = self._user_name(new if kind == "AddWatcher" else old)
            return (
                "watchers",
                None if kind == "AddWatcher" else user,
                user if kind == "AddWatcher" else None,
            )
        if kind == "CustomField":
            name = cf_names.get(fld)
            if name is None or name == CUSTOM_FIELDS["state"]:
                return None
            ours = {v: k for k, v in CUSTOM_FIELDS.items()}.get(name)
            target = {v: k for k, v in _CF_FOR_FIELD.items()}.get(ours or "")
            if target is None:
                return None
            return (target, old, new)
        return None

    def _user_name(self, principal: object) -> str | None:
        if principal in (None, "", "0"):
            return None
        text = str(principal)
        if not text.isdigit():
            return text
        if text not in self._user_ids:
            try:
                data = self._get_json(f"user/{text}")
                self._user_ids[text] = str(data.get("Name", text))
            except StoreError:
                self._user_ids[text] = text
        name = self._user_ids[text]
        return None if name == "Nobody" else name

    def attachment_path(self, key: str, attachment_id: int) -> Path:
        """Download one of the ticket's files into the cache folder and return its path.

        RT never changes a stored file, so one already downloaded is not fetched again;
        the ticket is still asked for, so a file the token may no longer see is refused.
        """
        ticket_id = self._id_of(key)
        if isinstance(attachment_id, bool) or not isinstance(attachment_id, int):
            raise NotFound(f"{key} has no attachment {attachment_id!r:.20}")
        self._fetch(ticket_id)  # NotFound outside the helpdesk queues
        wanted = json.dumps([{"field": "id", "value": attachment_id}, *json.loads(_FILE_PARTS)])
        found = _expect_list(
            self._get_json(
                f"ticket/{ticket_id}/attachments",
                {"query": wanted, "fields": "Filename,ContentLength"},
            ),
            "items",
            self._config.host,
        )
        if not found:
            raise NotFound(f"{key} has no attachment {attachment_id}")
        name = str(found[0].get("Filename") or "file")
        check_attachment_size(name, _int(found[0].get("ContentLength")))
        folder = self._cache_folder(ticket_id)
        target = folder / f"{attachment_id}-{_cache_name(name)}"
        if target.is_file():
            return target
        data = self._get_json(f"attachment/{attachment_id}")
        content = data.get("Content") if isinstance(data, dict) else None
        try:
            raw = base64.b64decode(content) if isinstance(content, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            raise RtBadResponse(
                f"RT at {self._config.host} sent attachment {attachment_id} without its content"
            )
        check_attachment_size(name, len(raw))
        temp = folder / f".{attachment_id}-{os.getpid()}-{threading.get_ident()}.part"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(raw)
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StoreUnavailable(f"attachment cache {folder}: {exc.strerror or exc}") from None
        return target

    def _cache_folder(self, ticket_id: int) -> Path:
        """This ticket's folder in the attachment cache (owner-only), made if needed."""
        with self._lock:
            if self._cache_root is None:
                if self._config.cache_dir is None:
                    self._own_cache = Path(tempfile.mkdtemp(prefix="helpdesk-rt-"))
                    self._cache_root = self._own_cache
                else:
                    server = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(self._config.url).netloc)
                    self._cache_root = Path(self._config.cache_dir).expanduser() / f"rt-{server}"
            root = self._cache_root
        folder = root / str(ticket_id)
        try:
            for path in (root, folder):
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                if path.is_symlink() or not path.is_dir():
                    raise NotADirectoryError(f"{path} is not a folder of its own")
                os.chmod(path, 0o700)
        except OSError as exc:
            raise StoreUnavailable(f"attachment cache {folder}: {exc.strerror or exc}") from None
        return folder

    # -- writing -----------------------------------------------------------------------

    def _checked(self, values: Mapping[str, object]) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for name, value in values.items():
            check = FIELD_CHECKS.get(name)
            if check is None:
                raise InvalidInput(f"{name!r} is not a field a write may change")
            checked[name] = check(name, value)
        return checked

    def _rt_status(self, status: Status) -> str:
        try:
            return self._statuses[status]
        except KeyError:
            raise RtUnsupported(
                f"RT's default lifecycle has no status for {status.label}: configure the "
                "helpdesk lifecycle (docs/backends-rt.md)"
            ) from None

    def _require_users(self, names: Iterable[str | None], what: str) -> None:
        """Refuse unknown users before writing: RT would skip them and answer 200."""
        for name in names:
            if not name or name in self._known_users:
                continue
            if re.fullmatch(r"[^/\s?#]{1,200}", name):
                try:
                    self._get_json(f"user/{name}")
                except NotFound:
                    pass
                else:
                    self._known_users.add(name)
                    continue
            raise InvalidInput(f"{what} {name!r:.60} is not an RT user; nothing was written")

    def _queue_for(self, tier: int) -> str:
        for name, queue_tier in self._config.queues.items():
            if queue_tier == tier:
                return name
        raise InvalidInput(f"no RT queue is configured for tier {tier} ([backend.rt.queues])")

    def _state(self, ticket: Ticket) -> dict[str, Any]:
        return {name: _state_value(name, getattr(ticket, name)) for name in _STATE_FIELDS}

    def _custom_fields(self, ticket: Ticket, names: Iterable[str]) -> dict[str, Any]:
        """RT custom field values for the given ticket fields (None clears one)."""
        out: dict[str, Any] = {}
        for name in names:
            if name == "sla_due_at":
                due = ticket.sla_due_at
                out[CUSTOM_FIELDS["sla_due"]] = None if due is None else _fmt_ts(due)
                out[CUSTOM_FIELDS["sla_clock"]] = "stopped" if due is None else "running"
                continue
            cf = _CF_FOR_FIELD.get(name)
            if cf is None:
                continue
            value = getattr(ticket, name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, datetime):
                value = _fmt_ts(value)
            out[CUSTOM_FIELDS[cf]] = value if value not in ("", None) else None
        return out

    def create(self, ticket: Ticket, actor: str, comment: Comment | None = None) -> Ticket:
        """Create the RT ticket (in the tier's queue) with its description as the first
        message; the optional first comment follows as a Comment."""
        checked = self._checked(
            {n: getattr(ticket, n) for n in FIELD_CHECKS if n not in ("updated_at",)}
        )
        ticket = replace(ticket, **checked, created_at=check_ts("created_at", ticket.created_at))
        state = self._state(ticket)
        state.update(version=1, created_by=actor)
        if comment is not None:  # who wrote the first comment, when not the creator
            state.update(first_author=comment.author, first_from_customer=comment.from_customer)
        cfs = self._custom_fields(ticket, [*_CF_FOR_FIELD, "sla_due_at"])
        cfs = {k: v for k, v in cfs.items() if v is not None}
        cfs[CUSTOM_FIELDS["state"]] = json.dumps(state, ensure_ascii=False)
        body: dict[str, Any] = {
            "Queue": self._queue_for(ticket.tier),
            "Subject": ticket.subject,
            "Status": self._rt_status(ticket.status),
            "Priority": PRIORITY_VALUES[ticket.priority],
            "CustomFields": cfs,
        }
        if ticket.description:
            body["Content"] = ticket.description
            body["ContentType"] = "text/plain"
        if ticket.assignee:
            body["Owner"] = ticket.assignee
        if ticket.requester_email:
            body["Requestor"] = ticket.requester_email
        if ticket.watchers:
            body["AdminCc"] = list(ticket.watchers)
        self._require_users([ticket.assignee], "assignee")
        self._require_users(ticket.watchers, "watcher")
        with self._write_lock:
            created = self._json(self._request("POST", "ticket", body=body))
            try:
                ticket_id = int(created["id"])
            except (KeyError, TypeError, ValueError):
                raise RtBadResponse(
                    f"RT at {self._config.host} did not say which ticket it created"
                ) from None
            self._invalidate()
            if comment is not None:
                self._post_message(ticket_id, comment.kind, comment.body, None)
            data, etag = self._fetch(ticket_id, fresh=True)
        stored = self._ticket_from(data, roles=True)
        self._verify(stored, ticket, checked)
        with self._lock:
            self._seen[(ticket_id, stored.version)] = etag
        return stored

    def _verify(self, stored: Ticket, wanted: Ticket, names: Iterable[str]) -> None:
        """RT answers 200 even when it skipped part of an update: say so, never hide it."""
        for name in names:
            got, want = getattr(stored, name), getattr(wanted, name)
            if name == "watchers":
                got, want = set(got), set(want)
            if got != want:
                shown = audit_text(getattr(wanted, name))
                raise InvalidInput(
                    f"{stored.key}: RT did not take {name} = {shown!r:.60}"
                    " (unknown user, or missing rights); the rest of the change was saved"
                )

    def _post_message(
        self,
        ticket_id: int,
        kind: CommentKind,
        text: str,
        status: str | None,
        files: Sequence[_Upload] = (),
    ) -> None:
        """Post a reply (Correspond) or note (Comment) with its files; then make sure RT
        kept every file whole (it may cut or drop large ones: see MaxAttachmentSize)."""
        word = "reply" if kind is CommentKind.REPLY else "note"
        path = f"ticket/{ticket_id}/{'correspond' if kind is CommentKind.REPLY else 'comment'}"
        body: dict[str, Any] = {"Content": text, "ContentType": "text/plain"}
        if status is not None:
            body["Status"] = status
        if files:
            body["Attachments"] = [f.payload() for f in files]
        try:
            response = self._request("POST", path, body=body)
        except StoreError as exc:
            raise type(exc)(
                f"{self._key(ticket_id)}: the {word} was NOT posted ({exc}); send it again"
            ) from None
        location = response.headers.get("Location", "")
        txn = location.rstrip("/").rsplit("/", 1)[-1]
        if files and txn.isdigit():
            self._check_files_kept(ticket_id, int(txn), word)

    def _check_files_kept(self, ticket_id: int, txn: int, word: str) -> None:
        """RT notes a file it cut short, dropped or failed to store as a transaction of
        its own; any of them after our message means a file was not kept as sent."""
        spoilt = " OR ".join(f"Type = '{kind}'" for kind in _FILE_TROUBLE)
        data = self._get_json(
            "transactions",
            {
                "query": f"ObjectType = 'RT::Ticket' AND ObjectId = {ticket_id} "
                f"AND id > {txn} AND ({spoilt})",
                "fields": "Type,Data",
                "per_page": 10,
            },
        )
        for item in _expect_list(data, "items", self._config.host):
            what = _FILE_TROUBLE.get(str(item.get("Type")), "did not keep")
            raise InvalidInput(
                f"{self._key(ticket_id)}: RT {what} {_one_line(item.get('Data') or 'a file', 80)}"
                f" (RT's MaxAttachmentSize); the {word} was posted without it whole"
            )

    def _invalidate(self) -> None:
        with self._lock:
            self._searches.clear()

    def apply(self, change: Change) -> Ticket:
        """Write one change: a PUT with If-Match (fields, roles, custom fields and the
        write's record), then the reply or note if there is one (with the status, so RT's
        auto-open scrip cannot undo it). A stale base or a 412 is a ConflictError and
        nothing is written. Files go with the message and must come with one; RT answers
        200 to changes it did not make (rights), so what it stored is read back and checked."""
        updates = self._checked(change.fields)
        check_ts("at", change.at)
        for name, _detail in change.events:
            check_str("event", name)
        if change.comment is not None:
            check_str("body", change.comment.body)
            if change.comment.kind not in (CommentKind.REPLY, CommentKind.NOTE):
                raise InvalidInput(f"a comment cannot be of kind {change.comment.kind!r:.40}")
        elif change.attachments:
            raise InvalidInput(
                "RT keeps files in messages: attach them with a reply or note (nothing written)"
            )
        ticket_id = self._id_of(change.key)
        files = _read_files(change.attachments)
        with self._write_lock:
            with self._unsent(change.comment):
                data, etag = self._fetch(ticket_id, fresh=True)
                current = self._ticket_from(data, roles=True)
                seen = self._seen.get((ticket_id, change.base_version))
                if current.version != change.base_version or (seen is not None and seen != etag):
                    raise self._conflict(current, change.base_version, seen, etag)
                diffs = {n: v for n, v in updates.items() if getattr(current, n) != v}
                diffs.pop("updated_at", None)
                if not (diffs or change.comment or change.events):
                    return current
                if "tier" in diffs and diffs["tier"] not in (1, 2, 3):
                    raise InvalidInput(f"tier must be 1, 2 or 3, not {diffs['tier']}")
                after = replace(current, **diffs)
                if "assignee" in diffs:
                    self._require_users([after.assignee], "assignee")
                if "watchers" in diffs:
                    self._require_users(after.watchers, "watcher")
                version = current.version + 1
                entries = [
                    (n, audit_text(getattr(current, n)), audit_text(v))
                    for n, v in diffs.items()
                    if n in AUDITED_FIELDS
                ]
                new_status = self._rt_status(after.status) if "status" in diffs else None
                state = self._state(after)
                old_state = _loads(self._cf_values(data).get(CUSTOM_FIELDS["state"]))
                state["version"] = version
                state["created_by"] = old_state.get("created_by")
                for kept in ("first_author", "first_from_customer"):
                    if kept in old_state:
                        state[kept] = old_state[kept]
                state["write"] = {
                    "actor": change.actor,
                    "reason": change.reason,
                    "entries": entries,
                    "events": [[n, None if d is None else str(d)] for n, d in change.events],
                    "comment": None if change.comment is None else change.comment.kind.value,
                    "author": None if change.comment is None else change.comment.author,
                    "from_customer": change.comment is not None and change.comment.from_customer,
                    "files": [[f.name, len(f.data), f.sha256, f.content_type] for f in files],
                }
                cfs = self._custom_fields(
                    after, [n for n in diffs if n in (*_CF_FOR_FIELD, "sla_due_at")]
                )
                cfs[CUSTOM_FIELDS["state"]] = json.dumps(state, ensure_ascii=False)
                body: dict[str, Any] = {"CustomFields": cfs}
                if "subject" in diffs:
                    body["Subject"] = after.subject
                if "priority" in diffs:
                    body["Priority"] = PRIORITY_VALUES[after.priority]
                if "assignee" in diffs:
                    body["Owner"] = after.assignee or "Nobody"
                if "tier" in diffs:
                    body["Queue"] = self._queue_for(after.tier)
                if "watchers" in diffs:
                    body["AdminCc"] = list(after.watchers)
                if "requester_email" in diffs and after.requester_email:
                    body["Requestor"] = [after.requester_email]
                if new_status is not None and change.comment is None:
                    body["Status"] = new_status
                rt_fields = [k for k in body if k != "CustomFields"]
                rt_fields += [f"CF:{self._cf_ids[name]}" for name in cfs]
                if new_status is not None:
                    rt_fields.append("Status")
                state["write"]["rt"] = sorted(set(rt_fields))
                cfs[CUSTOM_FIELDS["state"]] = json.dumps(state, ensure_ascii=False)
                response = self._request(
                    "PUT", f"ticket/{ticket_id}", body=body, headers={"If-Match": f'"{etag}"'}
                )
                if response.status_code == 412:
                    fresh, fresh_etag = self._fetch(ticket_id, fresh=True)
                    raise self._conflict(
                        self._ticket_from(fresh, roles=True), change.base_version, etag, fresh_etag
                    )
                self._invalidate()
                self._json(response)  # REST2 answers a PUT with its messages, as JSON
                denied = _denied(response)
                if denied is not None:
                    raise RtForbidden(
                        f"RT at {self._config.host} refused (part of) the change to {current.key} "
                        f"(RT rights: {denied})"
                    )
            if change.comment is not None:
                status = new_status
                if status is None and not after.status.is_active:
                    status = self._rt_status(after.status)  # keep it: RT re-opens on reply
                self._post_message(
                    ticket_id, change.comment.kind, change.comment.body, status, files
                )
            data, etag = self._fetch(ticket_id, fresh=True)
        stored = self._ticket_from(data, roles=True)
        if stored.version < version:
            raise InvalidInput(
                f"{current.key}: RT did not save the change (v{stored.version}, not v{version})"
            )
        self._verify(stored, after, diffs)
        with self._lock:
            self._seen[(ticket_id, stored.version)] = etag
        return stored

    @contextmanager
    def _unsent(self, comment: Comment | None) -> Iterator[None]:
        """A write that fails before its reply or note is posted says that it was not."""
        try:
            yield
        except ConflictError:
            raise
        except StoreError as exc:
            if comment is None:
                raise
            raise type(exc)(f"{exc}; the {comment.kind.value} was NOT posted") from None

    def _conflict(self, current: Ticket, base: int, seen: str | None, now: str) -> ConflictError:
        """The ConflictError for a stale write, naming what changed since `base`."""
        assert current.id is not None
        with self._lock:
            # The agent sees the ticket as it is now: a retry based on it may go through.
            self._seen[(current.id, current.version)] = now
        changed: list[str] = []
        try:
            for entry in self.history(current.key):
                newer = entry.version is not None and entry.version > base
                after_seen = seen is not None and entry.id is not None and entry.id > int(seen or 0)
                if (newer or (after_seen and entry.version == base)) and entry.field != "created":
                    changed.append(entry.field)
        except StoreError:
            changed = []
        return ConflictError(current.key, base, current, changed)

    # -- people ------------------------------------------------------------------------

    def _agent_from(self, data: Mapping[str, Any]) -> Agent:
        name = str(data.get("Name", ""))
        tier, role = self._config.agents.get(name, (3, Role.AGENT))
        return Agent(
            username=name,
            name=str(data.get("RealName") or name),
            email=str(data.get("EmailAddress") or ""),
            tier=tier,
            role=role,
            active=str(data.get("Disabled", "0")) in ("0", ""),
        )

    def agents(self) -> list[Agent]:
        """The privileged RT users named in [backend.rt.agents] or found in the groups of
        [backend.rt] agent_groups, with tier and role from the former.

        RT's own Privileged group is out of REST2's reach since 5.0.3+dfsg-3~deb12u7
        (CVE-2026-108353: /groups and /group/N serve user-defined groups only), so the
        helpdesk's agents are named where RT lets a token read them: a group's members
        need SeeGroup on the group, a user's privilege is on the user's own record."""
        names = set(self._config.agents)
        for group in self._config.agent_groups:
            names |= self._group_users(group)
        found = []
        for name in sorted(names):
            try:
                found.append(self.get_agent(name))
            except NotFound:
                continue  # gone, or not privileged: not an agent
        return found

    def _group_users(self, name: str) -> set[str]:
        """The users in the user-defined group `name`, through nested groups."""
        groups = self._json(
            self._request(
                "POST", "groups", params={"fields": "Name"}, body=[{"field": "Name", "value": name}]
            )
        )
        matches = [g for g in _expect_list(groups, "items", self._config.host) if "id" in g]
        if not matches:
            raise StoreUnavailable(
                f"RT at {self._config.host} has no group {name!r} that the token's user may "
                "see (SeeGroup); fix [backend.rt] agent_groups"
            )
        users: set[str] = set()
        pending, seen = [str(matches[0]["id"])], set()
        while pending:
            group_id = pending.pop()
            if group_id in seen:
                continue
            seen.add(group_id)
            for member in self._get_json(f"group/{group_id}").get("Members") or []:
                ref = _ref_id(member)
                if ref is None:
                    continue
                if isinstance(member, dict) and member.get("type") == "group":
                    pending.append(ref)
                else:
                    users.add(ref)
        return users

    def get_agent(self, username: str) -> Agent:
        if not re.fullmatch(r"[^/\s]{1,200}", username):
            raise NotFound(f"no agent {username!r:.40}")
        try:
            data = self._get_json(f"user/{username}")
        except NotFound:
            raise NotFound(f"no agent {username!r:.40} in RT") from None
        if str(data.get("Privileged", "0")) != "1":
            raise NotFound(f"{username!r:.40} is not a privileged RT user")
        return self._agent_from(data)

    def save_agent(self, agent: Agent) -> Agent:
        raise RtUnsupported("agents are RT users: manage them in RT (and tiers in the config)")

    def teams(self) -> list[Team]:
        return sorted({Team(t) for t in self._config_teams()}, key=lambda t: t.name)

    def _config_teams(self) -> list[str]:
        return []

    def save_team(self, team: Team) -> Team:
        raise RtUnsupported("teams are a custom field in RT: manage its values in RT")

    def bulk_import(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        raise RtUnsupported("RT's REST2 API has no all-or-nothing bulk import; use RT's tools")

    def purge(self, closed_before: datetime, actor: str, at: datetime, dry_run: bool) -> list[str]:
        raise RtUnsupported("purging is RT's shredder's job (rt-shredder), not this store's")

    def claim_next(self, query: Query, claim: Callable[[Ticket], Change | None]) -> Ticket | None:
        raise RtUnsupported("RT cannot lock a ticket while it is claimed: take it by version")

    refusal_log: Path | None = None
    """Where refused actions are audited (JSON lines, see store/local_audit.py): RT has
    no audit-only record. bootstrap sets it to a file in the app's state folder."""

    def record_refusal(
        self, actor: str, action: str, key: str | None, reason: str, at: datetime
    ) -> None:
        from .local_audit import append_refusal

        append_refusal(self.refusal_log, actor, action, key, reason, at)


# --- files ---------------------------------------------------------------------------

_BODY_PARTS = json.dumps(
    [
        {"field": "Filename", "operator": "IS", "value": "NULL"},
        {"field": "ContentType", "value": "text/plain"},
    ]
)
"""REST2 JSON query for the parts of a message that are its text."""

_FILE_PARTS = json.dumps([{"field": "Filename", "operator": "IS NOT", "value": "NULL"}])
"""REST2 JSON query for the parts of a message that are files."""

_FILE_TROUBLE = {
    "AttachmentTruncate": "cut short",
    "AttachmentDrop": "dropped",
    "AttachmentError": "could not store",
}
"""The transactions RT adds when it did not keep a file as it was sent."""

_PERMISSION_DENIED = re.compile(r"permission denied", re.IGNORECASE)

_PLAIN_NAME = re.compile(r"[A-Za-z0-9 ._()+,@-]{1,200}")


@dataclass(frozen=True, slots=True)
class _Upload:
    """A file read for sending, with what the write records about it."""

    name: str
    content_type: str
    data: bytes
    sha256: str

    def payload(self) -> dict[str, str]:
        """REST2's attachment object. A name that is not plain ASCII travels as an RFC 2047
        word (RT 5.0 fails on raw UTF-8 there, and a quote or newline could break the MIME
        header); text that is not UTF-8 goes as octets, which RT would otherwise convert."""
        name = self.name
        if not _PLAIN_NAME.fullmatch(name):
            name = "=?UTF-8?B?" + base64.b64encode(name.encode()).decode("ascii") + "?="
        kind = self.content_type
        if kind.lower().startswith("text/"):
            try:
                self.data.decode("utf-8")
            except UnicodeDecodeError:
                kind = "application/octet-stream"
        return {
            "FileName": name,
            "FileType": kind,
            "FileContent": base64.b64encode(self.data).decode("ascii"),
        }


def _read_files(files: Sequence[NewAttachment]) -> list[_Upload]:
    """Check every file (a regular, non-empty file within the size limit), then read them:
    one refused file means nothing is sent."""
    for file in files:
        try:
            size = os.stat(file.path).st_size if os.path.isfile(file.path) else -1
        except OSError:
            size = -1
        if size < 0:
            raise InvalidInput(f"cannot attach {file.path}: no such file, or not a regular one")
        check_attachment_size(file.filename, size)
        if size == 0 or not file.filename.strip():
            raise InvalidInput(f"cannot attach {file.path}: RT keeps no empty or nameless file")
    uploads: list[_Upload] = []
    for file in files:
        try:
            with open(file.path, "rb") as handle:
                data = handle.read(MAX_ATTACHMENT_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {file.path}: {exc.strerror or exc}") from None
        check_attachment_size(file.filename, len(data))  # it may have grown since
        kind = file.content_type or "application/octet-stream"
        uploads.append(_Upload(file.filename, kind, data, hashlib.sha256(data).hexdigest()))
    return uploads


def _attachments(
    parts: Sequence[Mapping[str, Any]],
    recorded: Sequence[tuple[str, int, str, str]],
    comment_id: int,
    author: str,
    at: datetime,
) -> tuple[Attachment, ...]:
    """The files of one message. Size, hash and type come from our write's record when it
    sent them (RT counts text in characters and keeps no hash); RT's listing otherwise."""
    found: list[Attachment] = []
    for n, part in enumerate(parts):
        name = str(part.get("Filename") or "")
        size, sha, kind = _int(part.get("ContentLength")), "", str(part.get("ContentType") or "")
        if n < len(recorded) and recorded[n][0].rsplit("/", 1)[-1] == name:
            _name, size, sha, kind = recorded[n]
        found.append(
            Attachment(
                filename=name,
                size=size,
                sha256=sha,
                content_type=kind or "application/octet-stream",
                id=int(part["id"]),
                comment_id=comment_id,
                uploaded_by=author,
                created_at=at,
            )
        )
    return tuple(found)


def _spoilt(comment: Comment, note: Mapping[str, Any]) -> Comment:
    """The message as RT kept it after its note that it cut a file short (or dropped or
    failed to store it): that file's size is what RT kept, and its hash unknown."""
    name, cut = str(note.get("Data") or ""), note.get("Type") == "AttachmentTruncate"
    files = tuple(
        replace(a, sha256="", size=_int(note.get("NewValue")) if cut else a.size)
        if a.filename == name.rsplit("/", 1)[-1]
        else a
        for a in comment.attachments
    )
    return replace(comment, attachments=files)


def _cache_name(name: str) -> str:
    """A file name for the cache made of the attachment's own (letters kept, no paths)."""
    return re.sub(r"[^\w.-]+", "_", name.rsplit("/", 1)[-1]).strip("._")[:80] or "file"


def _denied(response: httpx.Response) -> str | None:
    """RT's "Permission Denied" among the messages of an answer it sent with 200."""
    try:
        messages = response.json()
    except ValueError:
        return None
    if not isinstance(messages, list):
        return None
    for message in messages:
        if isinstance(message, str) and _PERMISSION_DENIED.search(message):
            return _one_line(message, 120)
    return None


# --- helpers -------------------------------------------------------------------------


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _epoch() -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC)


def _ref_id(ref: object) -> str | None:
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


def _status_text(mapping: Mapping[str, Status], value: object) -> str | None:
    if value is None:
        return None
    status = mapping.get(str(value))
    return status.value if status else str(value)


def _prio_text(value: object) -> str | None:
    return None if value is None else _priority_from(value).value


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _expect_list(data: Any, key: str, host: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RtBadResponse(f"RT at {host} sent a collection without {key}")
    return [i for i in items if isinstance(i, dict)]


def _total(data: Mapping[str, Any], host: str) -> int:
    total = data.get("total")
    if isinstance(total, int):
        return total
    if isinstance(total, str) and total.isdigit():
        return int(total)
    raise RtUnsupported(
        f"RT at {host} does not count search results for this user (it needs the "
        "SuperUser or ShowTicket right on every queue)"
    )


def _page_for(offset: int, limit: int) -> tuple[int, int]:
    """(per_page, page) of RT's paging whose one page holds offset..offset+limit-1, at
    most 100 rows; a larger or awkward window gets the page that holds its start."""
    for per_page in range(min(limit, 100), 101):
        page = offset // per_page
        if (offset + limit - 1) // per_page == page:
            return per_page, page + 1
    return 100, offset // 100 + 1


def _rt_message(response: httpx.Response) -> str:
    """RT's own words about an error (untrusted text: one short line)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return _one_line(data["message"], 160)
    return ""


def _connect_reason(exc: httpx.ConnectError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "resolve" in text:
        return "unknown host"
    if "certificate" in text or "ssl" in text:
        return "TLS certificate not trusted (set verify_tls = false only for a test server)"
    return _one_line(exc, 120) or "connection failed"
