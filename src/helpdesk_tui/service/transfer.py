"""Import and export of tickets as CSV, JSON or JSON Lines.

Export streams one page at a time. Import reads records into validated tickets and
hands them to the store's bulk path in one transaction: a bad record stops the
import with its line number and nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..domain.model import (
    MAX_BODY,
    Channel,
    Comment,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Status,
    Ticket,
    TicketType,
    canonical_key,
)
from ..store.base import Query, SortKey, StoreError
from .core import iter_all
from .errors import ImportRefused
from .helpdesk import HelpdeskService

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


# A CSV field may be as long as the longest text a ticket holds (a description of
# MAX_BODY characters, exported and read back), with room for quoting; no longer.
_CSV_FIELD_LIMIT = 4 * MAX_BODY
_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_OUR_EXTRAS = frozenset({"version", "sla", "conversation", "history"})
"""What `ticket show/list --json` adds to a record: read back, it is ignored."""
_KNOWN = frozenset({*EXPORTED, "pauses"}) | _OUR_EXTRAS
_INT_TEXT = re.compile(r"^\s*[+-]?[0-9]{1,18}\s*$")


def read_records(path: Path, fmt: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, raw record) pairs, `where` naming the file and the line or record;
    a file that cannot be read raises ImportFormatError saying where and why."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        with handle:
            if fmt == "json":
                yield from _json_records(path, handle.read())
                return
            lines = _text_lines(path, handle)
            if fmt == "csv":
                yield from _csv_records(path, lines)
            else:
                for number, line in lines:
                    if line.strip():
                        where = f"{path}, line {number}"
                        yield where, _json(line, where)
    except OSError as exc:
        # A folder, a device, /proc/self/mem: the name opened, the reading failed.
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _text_lines(path: Path, handle: IO[bytes]) -> Iterator[tuple[int, str]]:
    """The file's lines as UTF-8 text (an Excel BOM dropped), with their numbers: a byte
    that is not UTF-8 is refused on its own line, not somewhere in a buffer."""
    for number, raw in enumerate(handle, 1):
        if number == 1:
            if raw.startswith(_UTF16_BOMS):
                raise ImportFormatError(
                    f"{path}: the file is UTF-16 or UTF-32 text; save it as UTF-8 (or CSV UTF-8)"
                )
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"{path}, line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                f"column {exc.start + 1}); save the file as UTF-8"
            ) from None


def _csv_records(
    path: Path, lines: Iterator[tuple[int, str]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    at = [0]  # the number of the last line the reader took

    def text() -> Iterator[str]:
        for number, line in lines:
            at[0] = number
            yield line

    # strict: an unterminated quote is an error, not a record that swallows the rest.
    reader = csv.reader(text(), strict=True)
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    start = 1
    header: list[str] | None = None
    try:
        for row in reader:
            where = f"{path}, line {start}"
            start = at[0] + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            if header is None:
                header = _csv_header(row, where)
                continue
            if len(row) != len(header):
                raise ImportFormatError(
                    f"{where}: {len(row)} fields where the header has {len(header)}"
                )
            yield where, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        message = str(exc)
        if "field larger than field limit" in message:
            message = f"a field is longer than {_CSV_FIELD_LIMIT} characters"
        elif "unexpected end of data" in message:
            message = "a quoted field is never closed"
        raise ImportFormatError(f"{path}, line {start}: {message}") from None
    if header is None:
        raise ImportFormatError(f"{path}: a CSV import needs a header with 'subject'")


def _csv_header(row: list[str], where: str) -> list[str]:
    header = [name.strip() for name in row]
    if "subject" not in header:
        raise ImportFormatError(f"{where}: a CSV import needs a header with 'subject'")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise ImportFormatError(f"{where}: the header names {twice[0][:40]!r} twice")
    return header


def _json_records(path: Path, data: bytes) -> Iterator[tuple[str, dict[str, Any]]]:
    if data.startswith(_UTF16_BOMS):
        raise ImportFormatError(f"{path}: the file is UTF-16 or UTF-32 text; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFormatError(
            f"{path}, line {line}: not UTF-8 text; save the file as UTF-8"
        ) from None
    found = _json(text, str(path), whole=True)
    if not isinstance(found, list):
        raise ImportFormatError(f"{path}: a JSON import is a list of ticket objects")
    for number, record in enumerate(found, 1):
        yield f"{path}, record {number}", record


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a ticket can hold")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is out of range")
    return number


def _json(text: str, where: str, *, whole: bool = False) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        at = f"{where}, line {exc.lineno}" if whole else where
        raise ImportFormatError(f"{at}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ImportFormatError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        # Infinity, NaN, 1e400, and integers of thousands of digits (Python's own limit).
        message = str(exc).split(";")[0]
        raise ImportFormatError(f"{where}: not a usable number: {message}") from None


def to_ticket(record: Any, where: str, now: datetime) -> Ticket:
    """One record as a Ticket, each field of the type it must have; ImportFormatError
    naming `where` and the field if not. The rules on values (lengths, ranges, addresses,
    agents, keys) are the service's, the same for an import as for `ticket create`."""
    if not isinstance(record, dict):
        raise ImportFormatError(f"{where}: expected an object with the ticket's fields")
    unknown = sorted(str(name) for name in record if name not in _KNOWN)
    if unknown:
        raise ImportFormatError(f"{where}: unknown field {unknown[0][:40]!r}")
    values: dict[str, Any] = {}
    for name in EXPORTED:
        raw = record.get(name)
        if raw is None or (raw == "" and name != "subject"):
            continue
        try:
            values[name] = _convert(name, raw)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ImportFormatError(f"{where}: {name}: {str(exc)[:200]}") from None
    if "subject" not in values:
        raise ImportFormatError(f"{where}: subject: cannot be empty")
    try:
        values["pauses"] = _pauses(record.get("pauses"))
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        raise ImportFormatError(f"{where}: pauses: {str(exc)[:200]}") from None
    values.setdefault("created_at", now)
    values.setdefault("updated_at", values["created_at"])
    values.setdefault("key", "")
    return Ticket(**values)


def _convert(name: str, raw: Any) -> Any:
    if name == "key":
        return canonical_key(_text(raw))
    if name in _ENUMS:
        return _ENUMS[name].parse(_text(raw))
    if name in _TUPLES:
        items = json.loads(raw) if isinstance(raw, str) and raw.startswith("[") else raw
        if isinstance(items, str):
            items = items.replace(";", ",").split(",")
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError("must be a list of names")
        return tuple(item.strip() for item in items if item.strip())
    if name in _INTS:
        return _whole_number(raw)
    if name in _TIMES:
        return _instant(raw)
    return _text(raw)


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        kind = {dict: "an object", list: "a list", bool: "true/false"}.get(type(raw), "a number")
        raise ValueError(f"must be text, not {kind}")
    return raw


def _whole_number(raw: Any) -> int:
    # Never int() of anything: int(1.9) is 1, and int() of a 5,000-digit text raises.
    if isinstance(raw, bool):
        raise ValueError("must be a whole number, not true/false")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _INT_TEXT.match(raw):
        return int(raw)
    raise ValueError(f"must be a whole number, not {str(raw)[:40]!r}")


def _instant(raw: Any) -> datetime:
    text = _text(raw)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not an ISO 8601 date and time") from None
    if at.tzinfo is None:
        raise ValueError(f"{text[:40]!r} has no timezone")
    try:
        return at.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+05:00 is before the first instant Python can hold in UTC.
        raise ValueError(f"{text[:40]!r} is out of range") from None


def _pauses(raw: Any) -> tuple[PauseInterval, ...]:
    if raw in (None, ""):
        return ()
    items = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise ValueError("must be a list of [start, end, status]")
    found = []
    for item in items:
        if not isinstance(item, list) or len(item) != 3:
            raise ValueError("each pause is [start, end, status]")
        start, end, status = item
        found.append(
            PauseInterval(
                _instant(start),
                _instant(end) if end is not None else None,
                Status(Status.parse(_text(status))),
            )
        )
    return tuple(found)


def import_file(service: HelpdeskService, path: Path, fmt: str) -> int:
    """Import every record of `path`; all or nothing. Returns how many tickets.

    A refusal, whether of the file, a record's shape or a rule the service applies,
    is one ImportFormatError naming the file and the line or record."""
    now = service.clock()
    where: list[str] = []  # where the record the service is checking came from

    def tickets() -> Iterable[tuple[Ticket, list[Comment]]]:
        for place, record in read_records(path, fmt):
            where[:] = [place]
            yield to_ticket(record, place, now), []

    try:
        return service.import_tickets(tickets())
    except ImportRefused as exc:
        place = where[0] if where else str(path)
        raise ImportFormatError(f"{place}: {exc}") from None
    except StoreError as exc:
        # The store refused the batch (a clash the checks could not see): the file is
        # named, and the transaction was rolled back.
        raise ImportFormatError(f"{path}: nothing imported: {exc}") from None
