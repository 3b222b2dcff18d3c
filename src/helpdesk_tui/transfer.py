"""Import and export of tickets as CSV, JSON or JSON Lines.

Export streams one page at a time. Import reads records into validated tickets and
hands them to the store's bulk path in one transaction: a bad record stops the
import with its line number and nothing is written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .domain import sla
from .domain.model import (
    Channel,
    Comment,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Status,
    Ticket,
    TicketType,
)
from .service import HelpdeskService, iter_all
from .store.base import Query, SortKey

FORMATS = ("csv", "json", "jsonl")

# What a record carries: every stored field but the internal id, version and SLA columns,
# which an import derives again.
EXPORTED = [
    f.name
    for f in fields(Ticket)
    if f.name not in ("id", "version", "sla_due_at", "sla_risk_at", "sla_flags", "pauses")
]
_ENUMS: dict[str, Any] = {
    "type": TicketType,
    "priority": Priority,
    "status": Status,
    "channel": Channel,
    "environment": Environment,
    "escalation": Escalation,
}
_TUPLES = ("watchers", "tags")
_INTS = ("tier", "affected_users", "csat_score", "escalated_from_tier")
_TIMES = tuple(name for name in EXPORTED if name.endswith("_at"))


class ImportFormatError(ValueError):
    """A record that cannot be imported; the message names its line and field."""


def guess_format(path: Path, explicit: str | None) -> str:
    fmt = explicit or path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ImportFormatError(f"{path}: cannot tell the format; use --format {'/'.join(FORMATS)}")
    return fmt


def to_record(ticket: Ticket) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in EXPORTED:
        value = getattr(ticket, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif name in _ENUMS and value is not None:
            value = value.value
        record[name] = value
    record["pauses"] = [
        [p.start.isoformat(), p.end.isoformat() if p.end else None, p.status.value]
        for p in ticket.pauses
    ]
    return record


def export(service: HelpdeskService, out: IO[str], fmt: str, query: Query | None = None) -> int:
    """Write every ticket the query matches (all, by default); returns how many."""
    query = query or Query(sort=SortKey.KEY)
    count = 0
    tickets = iter_all(service, query)
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=[*EXPORTED, "pauses"])
        writer.writeheader()
        for ticket in tickets:
            record = to_record(ticket)
            for name in (*_TUPLES, "pauses"):
                record[name] = json.dumps(record[name], ensure_ascii=False)
            writer.writerow(record)
            count += 1
    elif fmt == "jsonl":
        for ticket in tickets:
            out.write(json.dumps(to_record(ticket), ensure_ascii=False) + "\n")
            count += 1
    else:
        out.write("[\n")
        for ticket in tickets:
            out.write((",\n" if count else "") + json.dumps(to_record(ticket), ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    return count


def read_records(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, raw record) pairs; malformed files raise ImportFormatError."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        if fmt == "csv":
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "subject" not in reader.fieldnames:
                raise ImportFormatError(f"{path}: a CSV import needs a header with 'subject'")
            for row in reader:
                yield reader.line_num, dict(row)
        elif fmt == "jsonl":
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, _json(line, path, number)
        else:
            data = _json(handle.read(), path, 1)
            if not isinstance(data, list):
                raise ImportFormatError(f"{path}: a JSON import is a list of ticket objects")
            yield from enumerate(data, 1)


def _json(text: str, path: Path, line: int) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"{path}:{line}: not valid JSON: {exc.msg}") from None


def to_ticket(record: Any, line: int, policy: sla.Policy, now: datetime) -> Ticket:
    """Validate one record into a Ticket with its SLA columns; ImportFormatError if bad."""
    if not isinstance(record, dict):
        raise ImportFormatError(f"record {line}: expected an object")
    values: dict[str, Any] = {}
    for name in EXPORTED:
        raw = record.get(name)
        if raw in (None, "") and name != "subject":
            continue
        try:
            values[name] = _convert(name, raw)
        except (ValueError, TypeError) as exc:
            raise ImportFormatError(f"record {line}: {name}: {exc}") from None
    subject = str(values.get("subject") or "").strip()
    if not subject:
        raise ImportFormatError(f"record {line}: subject: cannot be empty")
    values["subject"] = " ".join(subject.split())
    if values.get("tier", 1) not in (1, 2, 3):
        raise ImportFormatError(f"record {line}: tier: must be 1, 2 or 3")
    score = values.get("csat_score")
    if score is not None and not 1 <= score <= 5:
        raise ImportFormatError(f"record {line}: csat_score: must be 1 to 5")
    try:
        values["pauses"] = _pauses(record.get("pauses"))
    except (ValueError, TypeError, IndexError) as exc:
        raise ImportFormatError(f"record {line}: pauses: {exc}") from None
    values.setdefault("created_at", now)
    values.setdefault("updated_at", values["created_at"])
    values.setdefault("key", "")
    ticket = Ticket(**values)
    due, risk = sla.sla_columns(ticket, policy)
    return ticket.with_changes(sla_due_at=due, sla_risk_at=risk)


def _convert(name: str, raw: Any) -> Any:
    if name in _ENUMS:
        return _ENUMS[name].parse(str(raw))
    if name in _TUPLES:
        items = json.loads(raw) if isinstance(raw, str) and raw.startswith("[") else raw
        if isinstance(items, str):
            items = [part for part in items.replace(";", ",").split(",")]
        return tuple(str(item).strip() for item in items if str(item).strip())
    if name in _INTS:
        return int(raw)
    if name in _TIMES:
        at = datetime.fromisoformat(str(raw))
        if at.tzinfo is None:
            raise ValueError(f"{raw!r} has no timezone")
        return at.astimezone(UTC)
    return str(raw)


def _pauses(raw: Any) -> tuple[PauseInterval, ...]:
    if raw in (None, ""):
        return ()
    items = json.loads(raw) if isinstance(raw, str) else raw
    found = []
    for start, end, status in items:
        found.append(
            PauseInterval(
                datetime.fromisoformat(start).astimezone(UTC),
                datetime.fromisoformat(end).astimezone(UTC) if end else None,
                Status(Status.parse(status)),
            )
        )
    return tuple(found)


def import_file(service: HelpdeskService, path: Path, fmt: str) -> int:
    """Import every record of `path`; all or nothing. Returns how many tickets."""
    now = service.clock()
    policy = service.policy

    def tickets() -> Iterable[tuple[Ticket, list[Comment]]]:
        for line, record in read_records(path, fmt):
            yield to_ticket(record, line, policy, now), []

    return service.import_tickets(tickets())
