"""Import and export of tickets as CSV, JSON or JSON Lines.

Export streams one page at a time. Import reads records one at a time, turns each into
a ticket through the pydantic model of a record (records.py), and hands them to the
store's bulk path in one transaction: a bad record stops the import with its line number
and field, and nothing is written.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import itertools
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any, Protocol

from ..domain.model import (
    MAX_BODY,
    Comment,
    Ticket,
)
from ..store.base import Query, SortKey, StoreError
from .core import iter_all
from .errors import ImportRefused
from .helpdesk import HelpdeskService

FORMATS = ("csv", "json", "jsonl")
FULL_FORMAT = 2
"""JSON Lines exports hold every ticket whole (archive.py); CSV and JSON its fields only."""
FLAT_NOTE = (
    "note: {fmt} holds ticket fields only (no conversation, files, links or history);"
    " JSON Lines holds everything"
)

# What a record carries: every stored field but the internal id, version and SLA columns,
# which an import derives again. records.ImportRecord reads these back (and pauses).
EXPORTED = [
    f.name
    for f in fields(Ticket)
    if f.name not in ("id", "version", "sla_due_at", "sla_risk_at", "sla_flags", "pauses")
]
_LISTS = ("watchers", "contacts", "tags", "pauses")
"""Written to a CSV cell as JSON."""


class ImportFormatError(ValueError):
    """A record that cannot be imported; the message names its line and field."""


STDIN = Path("-")
"""The file name that means standard input, as for most Unix tools."""
STDIN_FORMAT = "jsonl"
"""What `import -` reads unless told: what `export -` writes."""


def source_name(path: Path) -> str:
    """The file as a message names it."""
    return "stdin" if path == STDIN else str(path)


def guess_format(path: Path, explicit: str | None) -> str:
    if path == STDIN:
        return explicit or STDIN_FORMAT
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
        elif isinstance(value, Enum):
            value = value.value
        record[name] = value
    record["pauses"] = [
        [p.start.isoformat(), p.end.isoformat() if p.end else None, p.status.value]
        for p in ticket.pauses
    ]
    return record


class TextSink(Protocol):
    """Where an export writes: a file, stdout, or stdout made safe for a terminal."""

    def write(self, text: str, /) -> int: ...


def export(service: HelpdeskService, out: TextSink, fmt: str, query: Query | None = None) -> int:
    """Write every ticket the query matches (all, by default); returns how many."""
    query = query or Query(sort=SortKey.KEY)
    count = 0
    tickets = iter_all(service, query)
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=[*EXPORTED, "pauses"])
        writer.writeheader()
        for ticket in tickets:
            record = to_record(ticket)
            for name in _LISTS:
                record[name] = json.dumps(record[name], ensure_ascii=False)
            writer.writerow({k: spreadsheet_cell(v) for k, v in record.items()})
            count += 1
    elif fmt == "jsonl":
        from .archive import write_full

        count = write_full(service, out, tickets)
    else:
        out.write("[\n")
        for ticket in tickets:
            out.write((",\n" if count else "") + json.dumps(to_record(ticket), ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    return count


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def spreadsheet_cell(value: object) -> object:
    """A CSV cell no spreadsheet runs: text starting like a formula gets a leading
    apostrophe, as OWASP recommends; so does text that starts with one already, so
    that an import takes exactly one off and gets back what was exported."""
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, "'")):
        return "'" + value
    return value


def from_spreadsheet_cell(cell: str) -> str:
    """The text `spreadsheet_cell` wrote: one leading apostrophe is the escape."""
    return cell[1:] if cell.startswith("'") else cell


# A CSV field may be as long as the longest text a ticket holds (a description of
# MAX_BODY characters, exported and read back), with room for quoting; no longer.
_CSV_FIELD_LIMIT = 4 * MAX_BODY
_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_records(path: Path, fmt: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, raw record) pairs, `where` naming the file and the line (and in a JSON
    list, which record: several may share a line); `-` reads standard input.
    A file that cannot be read raises ImportFormatError saying where and why."""
    name = source_name(path)
    try:
        handle = _stdin() if path == STDIN else path.open("rb")
    except OSError as exc:
        raise ImportFormatError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        with handle:
            if fmt == "json":
                yield from _json_records(name, handle.read())
                return
            lines = _text_lines(name, handle)
            if fmt == "csv":
                yield from _csv_records(name, lines)
            else:
                for number, line in lines:
                    if line.strip():
                        where = f"{name}, line {number}"
                        yield where, _json(line, where)
    except OSError as exc:
        # A folder, a device, /proc/self/mem: the name opened, the reading failed.
        raise ImportFormatError(f"{name}: cannot read: {exc.strerror or exc}") from None


def _stdin() -> IO[bytes]:
    """The process's standard input, read through its descriptor and left open for the
    process. One closed when the process started is refused: its descriptor may be a
    file the process opened since (the store's own)."""
    if sys.stdin is None:
        raise OSError(errno.EBADF, "standard input is closed")
    return os.fdopen(sys.stdin.fileno(), "rb", closefd=False)


def _text_lines(name: str, handle: IO[bytes]) -> Iterator[tuple[int, str]]:
    """The file's lines as UTF-8 text (an Excel BOM dropped), with their numbers: a byte
    that is not UTF-8 is refused on its own line, not somewhere in a buffer."""
    for number, raw in enumerate(handle, 1):
        if number == 1:
            if raw.startswith(_UTF16_BOMS):
                raise ImportFormatError(
                    f"{name}: the file is UTF-16 or UTF-32 text; save it as UTF-8 (or CSV UTF-8)"
                )
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"{name}, line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                f"column {exc.start + 1}); save the file as UTF-8"
            ) from None


def _csv_records(
    name: str, lines: Iterator[tuple[int, str]]
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
            where = f"{name}, line {start}"
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
            yield where, {k: from_spreadsheet_cell(v) for k, v in zip(header, row, strict=True)}
    except csv.Error as exc:
        message = str(exc)
        if "field larger than field limit" in message:
            message = f"a field is longer than {_CSV_FIELD_LIMIT} characters"
        elif "unexpected end of data" in message:
            message = "a quoted field is never closed"
        raise ImportFormatError(f"{name}, line {start}: {message}") from None
    if header is None:
        raise ImportFormatError(f"{name}: a CSV import needs a header with 'subject'")


def _csv_header(row: list[str], where: str) -> list[str]:
    header = [name.strip() for name in row]
    if "subject" not in header:
        raise ImportFormatError(f"{where}: a CSV import needs a header with 'subject'")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise ImportFormatError(f"{where}: the header names {twice[0][:40]!r} twice")
    return header


def _json_records(name: str, data: bytes) -> Iterator[tuple[str, Any]]:
    if data.startswith(_UTF16_BOMS):
        raise ImportFormatError(f"{name}: the file is UTF-16 or UTF-32 text; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFormatError(
            f"{name}, line {line}: not UTF-8 text; save the file as UTF-8"
        ) from None
    yield from _json_list_items(name, text)


_BLANK = (" ", "\t", "\n", "\r")
"""What JSON counts as white space."""


def _json_list_items(name: str, text: str) -> Iterator[tuple[str, Any]]:
    """The items of the JSON list `text` holds, read one at a time so that each is named
    by the line it starts on (and its place in the list: a list may be one line)."""

    def skip(at: int) -> int:
        while text[at : at + 1] in _BLANK:
            at += 1
        return at

    at = skip(0)
    if at == len(text):
        raise ImportFormatError(f"{name}: the file is empty; a JSON import is a list of tickets")
    if text[at] != "[":
        _json(text, name, whole=True)  # a syntax error is named as one
        raise ImportFormatError(f"{name}: a JSON import is a list of ticket objects")
    at, line, counted, number = skip(at + 1), 1, 0, 0
    while not text.startswith("]", at):
        number += 1
        line += text.count("\n", counted, at)
        counted = at
        place = f"{name}, line {line} (record {number})"
        with _json_errors(name, whole=True, record=place):
            record, at = _DECODER.raw_decode(text, at)
        yield place, record
        at = skip(at)
        if text.startswith(",", at):
            at = skip(at + 1)
        elif not text.startswith("]", at):
            _json_syntax(name, text, at, "expected ',' or ']' after a record")
    at = skip(at + 1)
    if at < len(text):
        _json_syntax(name, text, at, "something follows the list")


def _json_syntax(name: str, text: str, at: int, message: str) -> None:
    line = text.count("\n", 0, at) + 1
    raise ImportFormatError(f"{name}, line {line}: not valid JSON: {message}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a ticket can hold")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is out of range")
    return number


class DuplicateKey(ValueError):
    """An object naming one key twice: json keeps the last silently, so what the file
    seems to say and what would be imported differ."""

    def __init__(self, key: str) -> None:
        super().__init__(f"{key[:40]!r} comes twice in one object")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) < len(pairs):
        raise DuplicateKey(next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1))
    return record


_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_constant=_reject_constant, parse_float=_finite_float
)


@contextlib.contextmanager
def _json_errors(where: str, *, whole: bool = False, record: str = "") -> Iterator[None]:
    """JSON that cannot be read as ImportFormatError; `whole`: `where` is the file, and
    the line is the parser's; `record`, if given, names the record being read (the parser
    tells no line for a key it has read twice)."""
    try:
        yield
    except DuplicateKey as exc:
        raise ImportFormatError(f"{record or where}: {exc}") from None
    except json.JSONDecodeError as exc:
        at = f"{where}, line {exc.lineno}" if whole else where
        raise ImportFormatError(f"{at}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ImportFormatError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        # Infinity, NaN, 1e400, and integers of thousands of digits (Python's own limit).
        message = str(exc).split(";")[0]
        raise ImportFormatError(f"{where}: not a usable number: {message}") from None


def _json(text: str, where: str, *, whole: bool = False) -> Any:
    with _json_errors(where, whole=whole):
        return _DECODER.decode(text)


def to_ticket(record: Any, where: str, now: datetime, *, cells: bool = False) -> Ticket:
    """One record as a Ticket, each field of the type it must have (records.py, checked by
    pydantic); ImportFormatError naming `where` and the field if not. `cells`: the record
    is a CSV row, every value text. The rules on values (lengths, ranges, addresses,
    agents, keys) are the service's, the same for an import as for `ticket create`."""
    # Imported here, not with the module: the command line imports this module, and the
    # app's launch must not import pydantic (records.py says what it costs).
    from .records import RecordError, ticket_values

    try:
        values = ticket_values(record, cells=cells)
    except RecordError as exc:
        raise ImportFormatError(f"{where}: {exc}") from None
    values.setdefault("created_at", now)
    values.setdefault("updated_at", values["created_at"])
    values.setdefault("key", "")
    return Ticket(**values)


def import_file(service: HelpdeskService, path: Path, fmt: str, *, update: bool = False) -> int:
    """Import every record of `path` (`-`: standard input); all or nothing. Returns how
    many tickets.

    A file whose first record is a full one ("format": 2, archive.py) is restored whole;
    `update` then lays a ticket the store has over it, and is refused for flat records.
    A refusal, whether of the file, a record's shape or a rule the service applies,
    is one ImportFormatError naming the file and the line or record."""
    name = source_name(path)
    records = read_records(path, fmt)
    first = next(records, None)
    if first is not None and isinstance(first[1], dict) and "format" in first[1]:
        from .archive import import_archive

        return import_archive(service, Path(name), itertools.chain([first], records), update=update)
    if update and first is not None:
        raise ImportFormatError(
            f'{name}: --update needs a full export (JSON Lines with "format": {FULL_FORMAT})'
        )
    now = service.clock()
    where: list[str] = []  # where the record the service is checking came from
    # Where each ticket naming another came from, by position: the service checks those
    # names once every ticket is in (a ticket may be merged into one later in the file).
    naming: dict[int, str] = {}

    def tickets() -> Iterable[tuple[Ticket, list[Comment]]]:
        chained = itertools.chain([] if first is None else [first], records)
        for position, (place, record) in enumerate(chained, 1):
            where[:] = [place]
            ticket = to_ticket(record, place, now, cells=fmt == "csv")
            if ticket.merged_into or ticket.follow_up_of:
                naming[position] = place
            yield ticket, []

    try:
        return service.import_tickets(tickets())
    except ImportRefused as exc:
        place = naming.get(exc.position, where[0] if where else name)
        raise ImportFormatError(f"{place}: {exc}") from None
    except StoreError as exc:
        # The store refused the batch (a clash the checks could not see): the file is
        # named, and the transaction was rolled back.
        raise ImportFormatError(f"{name}: nothing imported: {exc}") from None
