"""SqlRepository: the TicketRepository on SQLite (the default) or PostgreSQL, one code path.

Reads and writes go through SQLAlchemy Core on the tables of `store/tables.py`; rows are
mapped to domain objects by position, which keeps a queue page (50 rows) well under a
millisecond of Python and lets bulk paths move thousands of rows per batch.

Every write is one transaction. On SQLite it begins with BEGIN IMMEDIATE (see
`store/engine.py`), on PostgreSQL it locks the ticket row with SELECT ... FOR UPDATE;
either way the version check, the new values, the audit entries, the comment, the
attachment rows, the search index and the change counter commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

if sys.platform != "win32":
    import fcntl

from ..domain.model import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
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
    REFUSED,
    Capability,
    Change,
    ChangeSet,
    ConflictError,
    InvalidInput,
    MailRecord,
    NewAttachment,
    NotFound,
    Page,
    Query,
    SortKey,
    StoreError,
    StoreUnavailable,
)
from .engine import (
    WRITE,
    database_url,
    describe,
    dialect_insert,
    is_memory,
    make_engine,
    writer_turn,
)
from .fields import (
    AUDITED_FIELDS,
    FIELD_CHECKS,
    audit_text,
    check_int,
    check_opt_str,
    check_str,
    check_strs,
    check_ts,
    enum_check,
    search_symbols,
    search_tokens,
)
from .live import SqlChangeFeed, bump
from .outbox import MailStore
from .tables import (
    CHANGE_COUNTER,
    FTS_TABLE,
    SEARCH_VECTOR,
    agents,
    attachments,
    audit,
    comments,
    store_meta,
    teams,
    tickets,
    to_epoch_us,
    to_utc,
    watchers,
)

__all__ = ["SqlRepository", "search_tokens"]

BATCH_SIZE = 10_000
"""Tickets per executemany in bulk_import: big enough to amortise the statement, small
enough to keep the rows in flight to a few megabytes."""
PURGE_BATCH = 1_000
"""Tickets per purge transaction: other writers wait a fraction of a second at most."""

_COPY_CHUNK = 1 << 20
_STAGING = ".incoming"
"""Where attachment files wait, under the attachments folder, until their write commits."""
_STAGED_PREFIX = "staged-"
_JUST_CREATED = 10.0
_WINDOWS_STAGED_AGE = 24 * 3600.0
_TOUCHED = "helpdesk_touched"
"""conn.info key: the ticket keys the current write transaction audited (`_bump` reads it)."""
_PG_SEARCH_CHARS = 300_000

"""Fields whose changes get an audit entry: what people edit, and the status timestamps."""

# --- lookup tables --------------------------------------------------------------------
# StrEnum members hash and compare like their values, so one dict maps either an enum
# member or its string to the plain string (for binding) or to the member (for reading).


def _values(enum_type: type[Enum]) -> dict[str, str]:
    return {str(m.value): str(m.value) for m in enum_type}


_E = TypeVar("_E", bound=Enum)
_T = TypeVar("_T")


def _members(enum_type: type[_E]) -> dict[str, _E]:
    return {str(m.value): m for m in enum_type}


_TYPE_STR, _TYPE = _values(TicketType), _members(TicketType)
_PRIORITY_STR, _PRIORITY = _values(Priority), _members(Priority)
_STATUS_STR, _STATUS = _values(Status), _members(Status)
_CHANNEL_STR, _CHANNEL = _values(Channel), _members(Channel)
_ENV_STR, _ENV = _values(Environment), _members(Environment)
_ESCALATION_STR, _ESCALATION = _values(Escalation), _members(Escalation)
_KIND = _members(CommentKind)
_ROLE = _members(Role)
_RANK = {p.value: p.rank for p in Priority}
_ACTIVE_VALUES = frozenset(s.value for s in ACTIVE_STATUSES)
_DONE_VALUES = frozenset(s.value for s in DONE_STATUSES)

# Ticket columns in the order `_ticket_from_row` reads them and raw inserts write them.
_TICKET_COLUMNS = (
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
)
_INSERT_COLUMNS = (*_TICKET_COLUMNS, "priority_rank", "is_active")
# Booleans travel as 0/1 (pysqlite binds a bool slowly, via its adapter lookup) and
# become booleans in SQL: "(? <> 0)" is a boolean to PostgreSQL and 0/1 to SQLite.
_INSERT_MARKS = ", ".join(["?"] * (len(_INSERT_COLUMNS) - 1) + ["(? <> 0)"])
_SELECT_TICKET = sa.select(*(tickets.c[name] for name in _TICKET_COLUMNS))


# --- row <-> domain -------------------------------------------------------------------


def _dump_strs(values: Iterable[str]) -> str:
    items = list(values)
    if not items:
        return "[]"
    if not all(isinstance(v, str) for v in items):
        raise InvalidInput(f"expected a list of strings, got {items!r:.80}")
    return json.dumps(items, ensure_ascii=False)


def _load_strs(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(json.loads(text))


def _dump_pauses(pauses: Iterable[PauseInterval]) -> str:
    items = [
        [
            to_utc(p.start).isoformat(),
            None if p.end is None else to_utc(p.end).isoformat(),
            _STATUS_STR[p.status],
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


def _ticket_from_row(r: Sequence[Any]) -> Ticket:
    """A domain Ticket from a row of `_SELECT_TICKET` (timestamps already converted)."""
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
        watchers=_load_strs(r[13]),
        channel=_CHANNEL[r[14]],
        environment=None if r[15] is None else _ENV[r[15]],
        impact=r[16],
        affected_users=r[17],
        integration=r[18],
        category=r[19],
        tags=_load_strs(r[20]),
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
        sla_flags=_load_strs(r[41]),
        version=r[42],
    )


def _ticket_params(t: Ticket, id_: int, key: str, ts: Callable[[datetime], Any]) -> tuple[Any, ...]:
    """A ticket as raw insert parameters in `_INSERT_COLUMNS` order.

    `ts` converts timestamps for the dialect (raw inserts bypass the column types).
    Hot path of bulk_import (a million calls): one tuple, dict lookups for enums, no
    helper calls for the many empty values, booleans as 0/1.
    """
    status = _STATUS_STR[t.status]
    priority = _PRIORITY_STR[t.priority]
    watching = t.watchers
    return (
        id_,
        key,
        t.subject,
        t.description,
        _TYPE_STR[t.type],
        priority,
        status,
        t.tier,
        t.assignee,
        t.team,
        t.requester_name,
        t.requester_email,
        t.organization,
        "[]" if not watching else _dump_strs(dict.fromkeys(watching)),
        _CHANNEL_STR[t.channel],
        None if t.environment is None else _ENV_STR[t.environment],
        t.impact,
        t.affected_users,
        t.integration,
        t.category,
        "[]" if not t.tags else _dump_strs(t.tags),
        t.language,
        ts(t.created_at),
        ts(t.updated_at),
        None if t.first_response_at is None else ts(t.first_response_at),
        None if t.resolved_at is None else ts(t.resolved_at),
        None if t.closed_at is None else ts(t.closed_at),
        None if t.last_public_update_at is None else ts(t.last_public_update_at),
        None if t.last_customer_reply_at is None else ts(t.last_customer_reply_at),
        "[]" if not t.pauses else _dump_pauses(t.pauses),
        _ESCALATION_STR[t.escalation],
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
        "[]" if not t.sla_flags else _dump_strs(t.sla_flags),
        1 if t.version is None else t.version,
        _RANK[priority],
        1 if status in _ACTIVE_VALUES else 0,
    )


def _column_values(name: str, value: Any) -> dict[str, Any]:
    """The column values (for a Core UPDATE) that store one checked field value."""
    if name in ("watchers", "tags", "sla_flags"):
        return {name: _dump_strs(value)}
    if name == "pauses":
        return {name: _dump_pauses(value)}
    if isinstance(value, Enum):
        stored = str(value.value)
        if name == "status":
            return {name: stored, "is_active": stored in _ACTIVE_VALUES}
        if name == "priority":
            return {name: stored, "priority_rank": _RANK[stored]}
        return {name: stored}
    return {name: value}


# --- full-text search -----------------------------------------------------------------


def fts5_match(tokens: Sequence[str]) -> str:
    """An FTS5 MATCH expression: every token as a quoted prefix, ANDed. Never a syntax error."""
    return " AND ".join(f'"{t}"*' for t in tokens)


def tsquery(tokens: Sequence[str]) -> str:
    """The PostgreSQL to_tsquery equivalent of `fts5_match` (diacritics folded alike)."""
    return " & ".join(f"'{t}':*" for t in (_fold(t) for t in tokens) if t)


def _fold(text: str) -> str:
    # PostgreSQL's 'simple' configuration keeps accents (the unaccent extension may not be
    # installable); fold them here, as FTS5's remove_diacritics does, so "cafe" finds "Café".
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _symbol_condition(symbol: str) -> ColumnElement[bool]:
    """Tickets whose subject, description or a comment holds `symbol` (an emoji)."""
    t = tickets.c
    in_comments = sa.select(comments.c.ticket_id).where(
        comments.c.body.contains(symbol, autoescape=True)
    )
    return sa.or_(
        t.subject.contains(symbol, autoescape=True),
        t.description.contains(symbol, autoescape=True),
        t.id.in_(in_comments),
    )


def _search_text(subject: str, description: str, comments: str) -> str:
    # A tsvector holds at most 1 MB: index the first part of a very long thread.
    return _fold(f"{subject} {description} {comments}"[:_PG_SEARCH_CHARS])


# --- the repository -------------------------------------------------------------------


@dataclass(slots=True)
class _ImportState:
    next_id: int
    max_own_number: int = 0


@dataclass(slots=True)
class _Where:
    """A query's filters, kept apart where the count can take a shortcut."""

    conditions: list[ColumnElement[bool]]
    """Every filter except the open/closed split and the search words."""
    active: bool | None = None
    """True: only open tickets; False: only closed ones; None: both."""
    tokens: list[str] = field(default_factory=list)
    """The search words (none: no text filter)."""
    text: ColumnElement[bool] | None = None
    """The search as a WHERE term."""

    def terms(self) -> list[ColumnElement[bool]]:
        """All of it as WHERE terms."""
        terms = list(self.conditions)
        if self.active is not None:
            terms.insert(0, tickets.c.is_active == (sa.true() if self.active else sa.false()))
        if self.text is not None:
            terms.append(self.text)
        return terms


@dataclass(frozen=True, slots=True)
class _Batch:
    """One chunk of an import, as rows ready for executemany."""

    rows: list[tuple[Any, ...]]
    texts: list[str]
    """Each ticket's comment text (PostgreSQL indexes it with the row)."""
    comments: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _StagedFile:
    """An attachment copied into the store's staging folder under a temporary name."""

    source: NewAttachment
    temp: Path
    size: int
    sha256: str
    held: IO[bytes] | None = None
    """The temporary file, kept open (and locked) until the write ends: a store opened
    meanwhile sees a writer that is still alive and leaves the file alone."""


@dataclass
class _FileWrite:
    """The files of one write: staged copies, and those already stored under their
    final names (`placed`), both removed again if the write fails."""

    staged: list[_StagedFile]
    placed: list[Path] = field(default_factory=list)


class SqlRepository(MailStore):
    """Tickets in SQLite (default) or PostgreSQL. Thread-safe: share one per process."""

    def __init__(self, engine: Engine, attachments_dir: Path, key_prefix: str = "HD") -> None:
        """Wrap an engine from `store.engine.make_engine` whose schema is at head.

        Most callers want `SqlRepository.open`, which also migrates the schema.
        """
        if not re.fullmatch(r"[A-Z][A-Z0-9]{0,9}", key_prefix):
            raise InvalidInput(f"key prefix must be 1-10 capitals/digits, not {key_prefix!r}")
        self._engine = engine
        self._prefix = key_prefix
        self._attachments_dir = Path(attachments_dir)
        self._sqlite = engine.dialect.name == "sqlite"
        self._name = f"database {describe(engine.url)}"
        self._secret = engine.url.password
        # Raw (driver-level) SQL is written with "?" placeholders; psycopg wants "%s".
        self._qmark = engine.dialect.paramstyle == "qmark"
        self._ts_param: Callable[[datetime], Any] = to_epoch_us if self._sqlite else to_utc
        self._feed = SqlChangeFeed(engine, self._guard)

    @classmethod
    def open(
        cls,
        url: str | Path | URL,
        attachments_dir: str | Path | None = None,
        key_prefix: str = "HD",
        *,
        migrate: bool = True,
        echo: bool = False,
    ) -> SqlRepository:
        """Open (creating if needed) a store and bring its schema up to date.

        `url` is a SQLAlchemy URL or a plain path to a SQLite file. Attachments go to
        `attachments_dir`, by default an `attachments` folder beside a SQLite file
        (required for PostgreSQL). Raises StoreUnavailable if the database cannot be
        opened or migrated; the message names it without its password.
        """
        from .migrations import at_head, upgrade

        target = database_url(url)
        if attachments_dir is None:
            if target.get_backend_name() != "sqlite" or is_memory(target):
                raise InvalidInput("attachments_dir is required for this database")
            attachments_dir = Path(target.database or "").parent / "attachments"
        engine = make_engine(target, echo=echo)
        try:
            if migrate and not at_head(engine):
                upgrade(engine)
            else:
                with engine.connect():
                    pass
        except StoreError:
            engine.dispose()
            raise
        except sa_exc.SQLAlchemyError as exc:
            engine.dispose()
            raise StoreUnavailable(
                f"cannot open database {describe(target)}: {_reason(exc, target.password)}"
            ) from exc
        repo = cls(engine, Path(attachments_dir).expanduser(), key_prefix)
        repo.remove_orphaned_files()
        return repo

    def remove_orphaned_files(self) -> int:
        """Remove the staged attachment copies of writers that died mid-write (killed,
        crashed, the machine lost power); returns how many. Run by `open`.

        A live writer holds an exclusive lock on its staged file until its write ends;
        a file nobody holds a lock on belongs to nobody. One folder is listed, not the
        store's tree: this runs at every launch. Where there is no flock (Windows) a
        staged file is left for a day, longer than any write takes."""
        folder = self._attachments_dir / _STAGING
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return 0  # no staging folder yet (or unreadable: the next write will say so)
        removed = 0
        now = time.time()
        for entry in entries:
            if not entry.name.startswith(_STAGED_PREFIX):
                continue
            with suppress(OSError):
                if _orphaned(entry.path, now):
                    os.unlink(entry.path)
                    removed += 1
        return removed

    # -- protocol: properties --------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Everything: search, attachments, CSAT, watchers, admin, purge, import, polling."""
        return frozenset(Capability)

    @property
    def key_prefix(self) -> str:
        """The prefix of the keys this store assigns ("HD" for HD-1042)."""
        return self._prefix

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for migrations, maintenance and tests)."""
        return self._engine

    @property
    def attachments_dir(self) -> Path:
        """The folder where attachment files are stored."""
        return self._attachments_dir

    # -- plumbing --------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Let only StoreError subclasses out, with one-line messages and no secrets."""
        try:
            yield
        except StoreError:
            raise
        except sa_exc.StatementError as exc:
            if isinstance(exc.orig, StoreError):
                raise exc.orig from exc
            reason = _reason(exc, self._secret)
            if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
                raise InvalidInput(f"{self._name} refused the write: {reason}") from exc
            raise StoreUnavailable(f"{self._name}: {reason}") from exc
        except sa_exc.SQLAlchemyError as exc:
            raise StoreUnavailable(f"{self._name}: {_reason(exc, self._secret)}") from exc
        except OSError as exc:
            raise StoreUnavailable(
                f"attachments folder {self._attachments_dir}: {exc.strerror or exc}"
            ) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._guard(), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._guard(), self._engine.connect() as conn:
            conn.execution_options(**WRITE)
            try:
                with writer_turn(self._engine), conn.begin():
                    yield conn
            finally:
                # conn.info outlives the checkout: no key may leak into the next write.
                conn.info.pop(_TOUCHED, None)

    def _raw(self, sql: str) -> str:
        return sql if self._qmark else sql.replace("?", "%s")

    def _bump(self, conn: Connection) -> None:
        # The change token and feed (store/live.py), last in every write transaction: the
        # tickets touched are those `_audit` wrote entries for, since every ticket write
        # audits; a write without entries (import, agents) is "something changed".
        bump(conn, conn.info.pop(_TOUCHED, None), postgres=not self._sqlite)

    def _row_by_key(self, conn: Connection, key: str, lock: bool = False) -> Sequence[Any]:
        wanted = key.strip()
        stmt = _SELECT_TICKET.where(tickets.c.key.in_(_spellings(key))).limit(1)
        if lock:
            stmt = stmt.with_for_update()  # PostgreSQL; SQLite holds the write lock already
        row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"no ticket {wanted}")
        return row

    def _id_of(self, conn: Connection, key: str) -> int:
        wanted = key.strip()
        found = conn.execute(
            sa.select(tickets.c.id).where(tickets.c.key.in_(_spellings(key))).limit(1)
        ).scalar()
        if found is None:
            raise NotFound(f"no ticket {wanted}")
        return int(found)

    # -- protocol: reading -----------------------------------------------------------

    def get(self, key: str) -> Ticket:
        """The ticket with this key; NotFound if there is none."""
        with self._read() as conn:
            return _ticket_from_row(self._row_by_key(conn, key))

    def query(self, query: Query) -> Page:
        """One page of tickets and the total count, filtered, sorted and paged in SQL."""
        offset, limit = max(0, query.offset), max(0, query.limit)
        where = self._filter(query)
        if where is None:
            return Page([], 0, offset, limit)
        with self._read() as conn:
            # One read transaction: the page and the count see the same snapshot.
            total = self._count(conn, where)
            tickets_: list[Ticket] = []
            if limit and offset < total:
                # The page's ids first, then their rows: the sort and the skipped offset
                # touch only index entries (or, for a search, the sort keys), never 40
                # columns of rows that are thrown away.
                ids = list(
                    conn.execute(
                        sa.select(tickets.c.id)
                        .where(*where.terms())
                        .order_by(*self._order_by(query))
                        .offset(offset)
                        .limit(limit)
                    ).scalars()
                )
                rows = {r[0]: r for r in conn.execute(_SELECT_TICKET.where(tickets.c.id.in_(ids)))}
                tickets_ = [_ticket_from_row(rows[i]) for i in ids if i in rows]
        return Page(tickets_, total, offset, limit)

    def count(self, query: Query) -> int:
        """How many tickets match the query's filters (its sort and page are ignored)."""
        where = self._filter(query)
        if where is None:
            return 0
        with self._read() as conn:
            return self._count(conn, where)

    def _count(self, conn: Connection, where: _Where) -> int:
        if self._sqlite and not where.conditions:
            if where.tokens and where.active is None:
                # A plain search: the FTS table has exactly one row per ticket.
                return int(
                    conn.exec_driver_sql(
                        f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?",
                        (fts5_match(where.tokens),),
                    ).scalar_one()
                )
            if not where.tokens and where.active is False:
                # "All closed" is most of the store. SQLite counts a whole table from its
                # page headers (no row visits), so count everything and subtract the
                # few open tickets: two milliseconds instead of fifty at a million.
                everything = conn.execute(sa.select(sa.func.count()).select_from(tickets))
                still_open = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(tickets)
                    .where(tickets.c.is_active == sa.true())
                )
                return int(everything.scalar_one()) - int(still_open.scalar_one())
        stmt = sa.select(sa.func.count()).select_from(tickets).where(*where.terms())
        return int(conn.execute(stmt).scalar_one())

    def _filter(self, q: Query) -> _Where | None:
        """The WHERE terms of a query; None when nothing can match (no need to ask)."""
        t = tickets.c
        tokens = search_tokens(q.text)
        where = _Where([], tokens=tokens, text=self._text_condition(tokens) if tokens else None)
        # Symbols no index holds are matched as text, after the words narrowed the rows.
        where.conditions.extend(_symbol_condition(symbol) for symbol in search_symbols(q.text))
        statuses = frozenset(_STATUS_STR[s] for s in q.statuses)
        # The saved views ask for exactly the open or the closed set: `is_active` leads
        # the view indexes, so say it that way; a subset still narrows by is_active first.
        if statuses:
            if statuses <= _ACTIVE_VALUES:
                where.active = True
            elif statuses <= _DONE_VALUES:
                where.active = False
            if statuses not in (_ACTIVE_VALUES, _DONE_VALUES):
                where.conditions.append(t.status.in_(sorted(statuses)))
        terms = where.conditions
        if q.priorities:
            terms.append(t.priority.in_(sorted(_PRIORITY_STR[p] for p in q.priorities)))
        if q.types:
            terms.append(t.type.in_(sorted(_TYPE_STR[x] for x in q.types)))
        if q.tiers:
            tiers = sorted(q.tiers)
            terms.append(t.tier == tiers[0] if len(tiers) == 1 else t.tier.in_(tiers))
        if q.assignees or q.unassigned:
            people = sorted(q.assignees)
            held: ColumnElement[bool] | None = None
            if people:
                held = t.assignee == people[0] if len(people) == 1 else t.assignee.in_(people)
            if q.unassigned:
                held = t.assignee.is_(None) if held is None else sa.or_(held, t.assignee.is_(None))
            assert held is not None
            terms.append(held)
        if q.organizations is not None:
            if not q.organizations:
                return None
            terms.append(t.organization.in_(sorted(q.organizations)))
        if q.watcher is not None:
            terms.append(
                t.id.in_(sa.select(watchers.c.ticket_id).where(watchers.c.username == q.watcher))
            )
        if q.escalations:
            terms.append(t.escalation.in_(sorted(_ESCALATION_STR[e] for e in q.escalations)))
        if q.due_before is not None:
            terms.append(t.sla_due_at < to_utc(q.due_before))  # NULL (paused) never matches
        if q.created_after is not None:
            terms.append(t.created_at >= to_utc(q.created_after))
        if q.created_before is not None:
            terms.append(t.created_at < to_utc(q.created_before))
        if q.closed_before is not None:
            terms.append(t.closed_at < to_utc(q.closed_before))
        return where

    def _text_condition(self, tokens: Sequence[str]) -> ColumnElement[bool]:
        if self._sqlite:
            matches: sa.Select[Any] = sa.select(sa.literal_column("rowid"))
            matches = matches.select_from(sa.table(FTS_TABLE)).where(
                sa.literal_column(FTS_TABLE).op("MATCH")(sa.bindparam("fts", fts5_match(tokens)))
            )
            return tickets.c.id.in_(matches)
        vector: ColumnElement[Any] = sa.literal_column(f"tickets.{SEARCH_VECTOR}")
        query = sa.func.to_tsquery(
            sa.literal_column("'simple'::regconfig"), sa.bindparam("tsq", tsquery(tokens))
        )
        return vector.op("@@")(query)

    def _order_by(self, q: Query) -> list[Any]:
        t = tickets.c
        desc = q.descending

        def by(col: Any) -> Any:
            return col.desc() if desc else col.asc()

        # Paused clocks (NULL due) sort last both ways; the tie-break on id makes pages
        # stable. SQLite (3.30+) and PostgreSQL serve NULLS LAST from the same indexes.
        sla = by(t.sla_due_at).nulls_last()
        sort = SortKey(q.sort)
        if sort is SortKey.SLA_DUE:
            return [sla, by(t.id)]
        if sort is SortKey.PRIORITY:
            return [by(t.priority_rank), sla, by(t.id)]
        if sort is SortKey.CREATED:
            return [by(t.created_at), by(t.id)]
        if sort is SortKey.UPDATED:
            return [by(t.updated_at), by(t.id)]
        return [by(t.id)]

    def comments(self, key: str) -> list[Comment]:
        """The ticket's replies and notes, oldest first, each with its attachments."""
        with self._read() as conn:
            ticket_id = self._id_of(conn, key)
            files: dict[int | None, list[Attachment]] = {}
            for a in conn.execute(
                sa.select(
                    attachments.c.id,
                    attachments.c.comment_id,
                    attachments.c.filename,
                    attachments.c.size,
                    attachments.c.sha256,
                    attachments.c.content_type,
                    attachments.c.uploaded_by,
                    attachments.c.created_at,
                )
                .where(attachments.c.ticket_id == ticket_id)
                .order_by(attachments.c.id)
            ):
                files.setdefault(a[1], []).append(
                    Attachment(
                        filename=a[2],
                        size=a[3],
                        sha256=a[4],
                        content_type=a[5],
                        id=a[0],
                        comment_id=a[1],
                        uploaded_by=a[6],
                        created_at=a[7],
                    )
                )
            rows = conn.execute(
                sa.select(
                    comments.c.id,
                    comments.c.kind,
                    comments.c.author,
                    comments.c.body,
                    comments.c.created_at,
                    comments.c.from_customer,
                )
                .where(comments.c.ticket_id == ticket_id)
                .order_by(comments.c.id)
            )
            return [
                Comment(
                    kind=_KIND[r[1]],
                    author=r[2],
                    body=r[3],
                    created_at=r[4],
                    from_customer=bool(r[5]),
                    attachments=tuple(files.get(r[0], ())),
                    id=r[0],
                )
                for r in rows
            ]

    def history(self, key: str) -> list[AuditEntry]:
        """The ticket's audit entries, oldest first (a purged ticket keeps its tombstone)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(
                    audit.c.ticket_key,
                    audit.c.at,
                    audit.c.actor,
                    audit.c.field,
                    audit.c.old,
                    audit.c.new,
                    audit.c.reason,
                    audit.c.version,
                    audit.c.id,
                )
                .where(audit.c.ticket_key.in_(_spellings(key)))
                .order_by(audit.c.id)
            ).all()
            if not rows:
                self._id_of(conn, key)  # NotFound for a key that never existed
        return [AuditEntry(*r) for r in rows]

    def attachment_path(self, key: str, attachment_id: int) -> Path:
        """Where the stored file of one of the ticket's attachments is."""
        with self._read() as conn:
            ticket_id = self._id_of(conn, key)
            stored = conn.execute(
                sa.select(attachments.c.storage_path).where(
                    attachments.c.id == attachment_id, attachments.c.ticket_id == ticket_id
                )
            ).scalar()
        if stored is None:
            raise NotFound(f"{key} has no attachment {attachment_id}")
        path = self._attachments_dir / str(stored)
        if not path.is_file():
            raise NotFound(f"the file of attachment {attachment_id} of {key} is missing: {path}")
        return path

    def change_token(self) -> str:
        """Differs after every write: poll it to know when to refresh a view."""
        with self._read() as conn:
            value = conn.execute(
                sa.select(store_meta.c.value).where(store_meta.c.name == CHANGE_COUNTER)
            ).scalar()
        return str(value)

    def wait_for_changes(self, token: str | None, timeout: float) -> ChangeSet:
        """Block until another writer changed something after `token` (a `change_token`
        or the token of the last ChangeSet), or `timeout` passed; which tickets changed.

        PostgreSQL wakes on NOTIFY, on a connection of its own; SQLite reads the change
        counter a few times a second. See store/live.py.
        """
        return self._feed.wait(token, timeout)

    # -- protocol: writing tickets ---------------------------------------------------

    def _insert_tickets(
        self, conn: Connection, rows: list[tuple[Any, ...]], texts: list[str] | None = None
    ) -> None:
        """Raw executemany of ticket rows (from `_ticket_params`) and their watchers.

        PostgreSQL indexes the text in the same statement (`texts`: each ticket's comment
        text); SQLite's FTS table is filled by the caller (`_refresh_search`, or in bulk).
        """
        columns = ", ".join(_INSERT_COLUMNS)
        if self._sqlite:
            marks = _INSERT_MARKS
            conn.exec_driver_sql(f"INSERT INTO tickets ({columns}) VALUES ({marks})", rows)
        else:
            marks = _INSERT_MARKS.replace("?", "%s")
            bodies = texts or [""] * len(rows)
            conn.exec_driver_sql(
                f"INSERT INTO tickets ({columns}, {SEARCH_VECTOR}) VALUES ({marks},"
                " to_tsvector('simple', %s))",
                [
                    (*r, _search_text(r[2], r[3], text))
                    for r, text in zip(rows, bodies, strict=True)
                ],
            )
        pairs = [(r[0], name) for r in rows if r[13] != "[]" for name in json.loads(r[13])]
        if pairs:
            conn.exec_driver_sql(
                self._raw("INSERT INTO ticket_watchers (ticket_id, username) VALUES (?, ?)"),
                pairs,
            )

    def _refresh_search(self, conn: Connection, ticket_id: int) -> None:
        """Re-index one ticket's subject, description and comments."""
        if self._sqlite:
            conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", (ticket_id,))
            conn.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE} (rowid, subject, description, comments)"
                " SELECT t.id, t.subject, t.description, COALESCE((SELECT group_concat(body,"
                " char(10)) FROM (SELECT body FROM comments WHERE ticket_id = t.id"
                " ORDER BY id)), '') FROM tickets t WHERE t.id = ?",
                (ticket_id,),
            )
        else:
            subject, description, thread = conn.exec_driver_sql(
                "SELECT subject, description, COALESCE((SELECT string_agg(body, ' ' ORDER BY"
                " id) FROM comments WHERE ticket_id = %s), '') FROM tickets WHERE id = %s",
                (ticket_id, ticket_id),
            ).one()
            conn.exec_driver_sql(
                f"UPDATE tickets SET {SEARCH_VECTOR} = to_tsvector('simple', %s) WHERE id = %s",
                (_search_text(subject, description, thread), ticket_id),
            )

    def _next_id(self, conn: Connection) -> int:
        if self._sqlite:
            # Under BEGIN IMMEDIATE nobody else can take this id before we insert it.
            return int(
                conn.exec_driver_sql(
                    "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name ="
                    " 'tickets'), 0), COALESCE((SELECT max(id) FROM tickets), 0)) + 1"
                ).scalar_one()
            )
        return int(
            conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('tickets', 'id'))"
            ).scalar_one()
        )

    def _key_taken(self, conn: Connection, key: str) -> bool:
        return conn.execute(sa.select(tickets.c.id).where(tickets.c.key == key)).first() is not None

    def _audit(self, conn: Connection, entries: list[dict[str, Any]]) -> None:
        if entries:
            conn.execute(sa.insert(audit), entries)
            touched = conn.info.setdefault(_TOUCHED, set())
            touched.update(e["ticket_key"] for e in entries if e["ticket_key"])

    def _add_comment(self, conn: Connection, ticket_id: int, comment: Comment) -> int:
        if not isinstance(comment.kind, CommentKind) and comment.kind not in _KIND:
            raise InvalidInput(f"a comment cannot be of kind {comment.kind!r:.40}")
        result = conn.execute(
            sa.insert(comments).values(
                ticket_id=ticket_id,
                kind=_KIND[comment.kind].value,
                author=check_str("author", comment.author),
                body=check_str("body", comment.body),
                created_at=check_ts("created_at", comment.created_at),
                from_customer=bool(comment.from_customer),
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def create(
        self,
        ticket: Ticket,
        actor: str,
        comment: Comment | None = None,
        *,
        attachments: Sequence[NewAttachment] = (),
        mail: Sequence[MailRecord] = (),
    ) -> Ticket:
        """Store a new ticket as version 1 with the next id and key, a "created" entry,
        the optional first comment (with `attachments`), its search entry, and `mail`."""
        if attachments and comment is None:
            raise InvalidInput("files of a new ticket go with its first comment")
        with self._files(attachments) as files, self._write() as conn:
            return self._insert_new(conn, ticket, actor, comment, files, mail)

    def _insert_new(
        self,
        conn: Connection,
        ticket: Ticket,
        actor: str,
        comment: Comment | None,
        files: _FileWrite,
        mail: Sequence[MailRecord],
    ) -> Ticket:
        new_id = self._next_id(conn)
        key = f"{self._prefix}-{new_id}"
        while self._key_taken(conn, key):  # only after imports that kept foreign ids
            new_id = self._next_id(conn) if not self._sqlite else new_id + 1
            key = f"{self._prefix}-{new_id}"
        row = self._ticket_row(ticket, new_id, key, version=1)
        body = ""
        entries = [
            self._entry(
                new_id, key, ticket.created_at, actor, "created", None, ticket.subject, None, 1
            )
        ]
        self._insert_tickets(conn, [row])
        if comment is not None:
            comment_id = self._add_comment(conn, new_id, comment)
            body = comment.body
            entries.append(
                self._entry(
                    new_id,
                    key,
                    comment.created_at,
                    actor,
                    _KIND[comment.kind].value,
                    None,
                    str(comment_id),
                    None,
                    1,
                )
            )
            entries += self._store_files(
                conn,
                files,
                new_id,
                comment_id,
                actor,
                comment.created_at,
                lambda name, old, new: self._entry(
                    new_id, key, comment.created_at, actor, name, old, new, None, 1
                ),
            )
        entries += self._insert_mail(conn, new_id, key, ticket.created_at, actor, mail, 1)
        if self._sqlite or body:
            self._refresh_search(conn, new_id)
        self._audit(conn, entries)
        self._bump(conn)
        return _ticket_from_row(self._row_by_key(conn, key))

    def _ticket_row(self, ticket: Ticket, id_: int, key: str, version: int) -> tuple[Any, ...]:
        # The same checks (and spellings: "" for nobody is None) as a Change gets.
        checked = {name: check(name, getattr(ticket, name)) for name, check in FIELD_CHECKS.items()}
        checked["created_at"] = check_ts("created_at", ticket.created_at)
        return _ticket_params(replace(ticket, **checked, version=version), id_, key, self._ts_param)

    @staticmethod
    def _entry(
        ticket_id: int | None,
        key: str | None,
        at: datetime,
        actor: str,
        field: str,
        old: str | None,
        new: str | None,
        reason: str | None,
        version: int | None,
    ) -> dict[str, Any]:
        return {
            "ticket_id": ticket_id,
            "ticket_key": key,
            "at": at,
            "actor": actor,
            "field": field,
            "old": old,
            "new": new,
            "reason": reason,
            "version": version,
        }

    def apply(self, change: Change) -> Ticket:
        """Apply one change atomically; ConflictError (nothing written) on a stale base.

        Writes the changed values, bumps the version, sets updated_at, writes one audit
        entry per changed user-visible field plus the comment, attachments and events,
        and refreshes the search entry — in one transaction.
        """
        updates = self._checked_fields(change.fields)
        at = check_ts("at", change.at)
        with self._files(change.attachments) as files, self._write() as conn:
            current = _ticket_from_row(self._row_by_key(conn, change.key, lock=True))
            return self._write_change(conn, current, change, updates, at, files)

    def _write_change(
        self,
        conn: Connection,
        current: Ticket,
        change: Change,
        updates: dict[str, Any],
        at: datetime,
        files: _FileWrite,
    ) -> Ticket:
        """The heart of `apply` and `claim_next`, on a ticket row this transaction holds
        locked: check the version, write the values, audit entries, comment, files and
        events, and return the ticket as written."""
        assert current.id is not None
        if current.version != change.base_version:
            raise self._conflict(conn, current, change.base_version)
        diffs = {n: v for n, v in updates.items() if getattr(current, n) != v}
        diffs.pop("updated_at", None)  # always change.at: the write's own time
        if not (diffs or change.comment or files.staged or change.events or change.mail):
            return current
        version = current.version + 1
        values: dict[str, Any] = {"version": version, "updated_at": at}
        for name, value in diffs.items():
            values.update(_column_values(name, value))
        done = conn.execute(
            sa.update(tickets)
            .where(tickets.c.id == current.id, tickets.c.version == current.version)
            .values(values)
        )
        if done.rowcount != 1:  # cannot happen while we hold the lock; never guess
            raise self._conflict(conn, current, change.base_version)

        def entry(name: str, old: str | None, new: str | None) -> dict[str, Any]:
            return self._entry(
                current.id,
                current.key,
                at,
                change.actor,
                name,
                old,
                new,
                change.reason,
                version,
            )

        entries = [
            entry(n, audit_text(getattr(current, n)), audit_text(v))
            for n, v in diffs.items()
            if n in AUDITED_FIELDS
        ]
        if "watchers" in diffs:
            conn.execute(sa.delete(watchers).where(watchers.c.ticket_id == current.id))
            if diffs["watchers"]:
                conn.execute(
                    sa.insert(watchers),
                    [{"ticket_id": current.id, "username": u} for u in diffs["watchers"]],
                )
        comment_id: int | None = None
        if change.comment is not None:
            comment_id = self._add_comment(conn, current.id, change.comment)
            entries.append(entry(_KIND[change.comment.kind].value, None, str(comment_id)))
        entries += self._store_files(conn, files, current.id, comment_id, change.actor, at, entry)
        for name, detail in change.events:
            text = None if detail is None else str(detail)
            entries.append(entry(check_str("event", name), None, text))
        entries += self._insert_mail(
            conn, current.id, current.key, at, change.actor, change.mail, version
        )
        self._audit(conn, entries)
        if change.comment is not None or "subject" in diffs or "description" in diffs:
            self._refresh_search(conn, current.id)
        self._bump(conn)
        return replace(current, **diffs, version=version, updated_at=at)

    def claim_next(self, query: Query, claim: Callable[[Ticket], Change | None]) -> Ticket | None:
        """Take the first ticket of `query` that `claim` accepts, in one write transaction.

        PostgreSQL reads each candidate with SELECT ... FOR UPDATE SKIP LOCKED: claims
        running at once pass over each other's rows instead of queueing behind them, and
        a row another claim took meanwhile no longer matches its filters. SQLite begins
        with BEGIN IMMEDIATE: claims take turns on the write lock, each seeing the ones
        before it. `claim` runs while the lock is held, so it must be in-memory rules
        only, and say no by returning None (an exception rolls the claim back).
        """
        where = self._filter(query)
        if where is None:
            return None
        passed: list[int] = []  # candidates `claim` said no to
        with self._write() as conn:
            while True:
                stmt = _SELECT_TICKET.where(*where.terms())
                if passed:
                    stmt = stmt.where(tickets.c.id.not_in(passed))
                stmt = stmt.order_by(*self._order_by(query)).limit(1)
                row = conn.execute(stmt.with_for_update(skip_locked=True)).first()
                if row is None:
                    return None
                current = _ticket_from_row(row)
                assert current.id is not None
                change = claim(current)
                if change is None:
                    passed.append(current.id)
                    continue
                if change.key != current.key or change.attachments:
                    # Files are copied in before a write's lock is taken (see `apply`).
                    raise InvalidInput("a claim changes the claimed ticket, without files")
                updates = self._checked_fields(change.fields)
                at = check_ts("at", change.at)
                return self._write_change(conn, current, change, updates, at, _FileWrite([]))

    def record_refusal(
        self, actor: str, action: str, key: str | None, reason: str, at: datetime
    ) -> None:
        """Audit a refused action as a "refused:<action>" entry holding the reason.

        A write of its own: the refused change never happened. No version, as the
        ticket did not change (and so a conflict never lists a refusal among the changes
        made since); no change counter bump, for the same reason.
        """
        entry = self._entry(
            None,
            None,
            check_ts("at", at),
            check_str("actor", actor),
            REFUSED + check_str("action", action),
            None,
            None,
            check_str("reason", reason),
            None,
        )
        with self._write() as conn:
            if key is not None:
                found = conn.execute(
                    sa.select(tickets.c.id, tickets.c.key)
                    .where(tickets.c.key.in_(_spellings(key)))
                    .limit(1)
                ).first()
                entry["ticket_id"], entry["ticket_key"] = found or (None, key.strip())
            self._audit(conn, [entry])

    def _checked_fields(self, fields: Mapping[str, object]) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for name, value in fields.items():
            check = FIELD_CHECKS.get(name)
            if check is None:
                raise InvalidInput(f"{name!r} is not a field a write may change")
            checked[name] = check(name, value)
        return checked

    def _conflict(self, conn: Connection, current: Ticket, base: int) -> ConflictError:
        changed = conn.execute(
            sa.select(audit.c.field)
            .where(audit.c.ticket_key == current.key, audit.c.version > base)
            .order_by(audit.c.id)
        ).scalars()
        return ConflictError(current.key, base, current, [f for f in changed if f != "created"])

    # -- attachments -----------------------------------------------------------------

    @contextmanager
    def _files(self, attachments: Sequence[NewAttachment]) -> Iterator[_FileWrite]:
        """Stage `attachments` for a write made inside this block. Unless the block ends
        normally (the write committed), every file it copied in is removed again: the
        staged temporaries and the stored files alike. A writer killed before that is
        cleaned up after by the next `open` (`remove_orphaned_files`)."""
        files = _FileWrite(self._stage_attachments(attachments))
        try:
            yield files
        except BaseException:
            for path in [*(file.temp for file in files.staged), *files.placed]:
                with suppress(OSError):
                    path.unlink()
            raise
        finally:
            for file in files.staged:
                if file.held is not None:
                    with suppress(OSError):
                        file.held.close()  # releases the lock

    def _store_files(
        self,
        conn: Connection,
        files: _FileWrite,
        ticket_id: int,
        comment_id: int | None,
        actor: str,
        at: datetime,
        entry: Callable[[str, str | None, str | None], dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Store the staged files on a ticket (and comment); their audit entries."""
        entries = []
        for file in files.staged:
            attachment_id, path = self._store_attachment(
                conn, ticket_id, comment_id, file, actor, at
            )
            files.placed.append(path)
            entries.append(entry("attachment", None, f"{file.source.filename} (#{attachment_id})"))
        return entries

    def _stage_attachments(self, files: Sequence[NewAttachment]) -> list[_StagedFile]:
        """Check every file's size first, then copy them in (hashing as they stream).

        Copying happens before the write transaction so a 90 MB upload never holds the
        database's write lock; the temporary files are removed if the write fails.
        """
        for file in files:
            try:
                info = os.stat(file.path)
            except OSError as exc:
                raise InvalidInput(f"cannot read {file.path}: {exc.strerror or exc}") from exc
            if not os.path.isfile(file.path):
                raise InvalidInput(f"not a file: {file.path}")
            if info.st_size > MAX_ATTACHMENT_BYTES:
                raise InvalidInput(_too_big(file.filename, info.st_size))
        staged: list[_StagedFile] = []
        try:
            for file in files:
                staged.append(self._copy_in(file))
        except BaseException:
            for done in staged:
                if done.held is not None:
                    with suppress(OSError):
                        done.held.close()
                with suppress(OSError):
                    done.temp.unlink()
            raise
        return staged

    def _copy_in(self, file: NewAttachment) -> _StagedFile:
        # The source is the user's file, the target the store's folder: a failure of
        # either is said as such ("cannot read /proc/self/mem", not "attachments folder").
        try:
            src = open(file.path, "rb")  # noqa: SIM115 - closed below, after the copy
        except OSError as exc:
            raise InvalidInput(f"cannot read {file.path}: {exc.strerror or exc}") from exc
        with src, self._guard():
            folder = self._attachments_dir / _STAGING
            folder.mkdir(parents=True, exist_ok=True)
            temp = folder / f"{_STAGED_PREFIX}{uuid.uuid4().hex}"
            dst = open(temp, "xb")  # noqa: SIM115 - held until the write ends (_files)
            digest = hashlib.sha256()
            size = 0
            try:
                _hold(dst)
                while True:
                    try:
                        chunk = src.read(_COPY_CHUNK)
                    except OSError as exc:
                        raise InvalidInput(
                            f"cannot read {file.path}: {exc.strerror or exc}"
                        ) from exc
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_ATTACHMENT_BYTES:  # the file grew after the check
                        raise InvalidInput(_too_big(file.filename, size))
                    digest.update(chunk)
                    dst.write(chunk)
                dst.flush()
            except BaseException:
                with suppress(OSError):
                    dst.close()
                with suppress(OSError):
                    temp.unlink()
                raise
            if sys.platform == "win32":
                dst.close()  # Windows renames no open file; orphans there go by age
                return _StagedFile(file, temp, size, digest.hexdigest())
            return _StagedFile(file, temp, size, digest.hexdigest(), dst)

    def _store_attachment(
        self,
        conn: Connection,
        ticket_id: int,
        comment_id: int | None,
        file: _StagedFile,
        actor: str,
        at: datetime,
    ) -> tuple[int, Path]:
        result = conn.execute(
            sa.insert(attachments).values(
                ticket_id=ticket_id,
                comment_id=comment_id,
                filename=file.source.filename,
                content_type=file.source.content_type,
                size=file.size,
                sha256=file.sha256,
                storage_path="",
                uploaded_by=actor,
                created_at=at,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        attachment_id = int(pk[0])
        # The stored name never comes from user input alone: id first, then a safe name.
        relative = f"{ticket_id}/{attachment_id}-{_safe_filename(file.source.filename)}"
        conn.execute(
            sa.update(attachments)
            .where(attachments.c.id == attachment_id)
            .values(storage_path=relative)
        )
        target = self._attachments_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file.temp, target)
        return attachment_id, target

    # -- bulk ------------------------------------------------------------------------

    def bulk_import(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        """Insert many tickets with their comments in one transaction: all or nothing.

        Ids: a ticket's own `id` is kept; otherwise a key with this store's prefix gives
        the id (HD-17 → 17); otherwise the next free id. Keys: kept when given (an
        import/export round trip), else assigned; a duplicate fails the whole import.
        No audit entries are written. Rows go in with executemany, BATCH_SIZE at a time;
        on SQLite the search index is filled at the end with one INSERT ... SELECT. The
        write lock is held throughout (about a minute for a million tickets): other
        writers wait, readers are not blocked.
        """
        total = 0
        with self._guard(), self._engine.connect() as conn:
            conn.execution_options(**WRITE)
            with conn.begin():
                state = _ImportState(next_id=self._max_id(conn) + 1)
                empty = state.next_id == 1 and not self._any_ticket(conn)
                with self._bulk_mode(conn, empty):
                    for chunk in _chunks(tickets, BATCH_SIZE):
                        batch = self._prepare_batch(chunk, state, total)
                        total += self._write_batch(conn, batch, empty)
                    if total and self._sqlite:
                        self._index_imported(conn, empty)
                    if total:
                        self._reserve_ids(conn, max(state.next_id - 1, state.max_own_number))
                        self._bump(conn)
        if total and not self._sqlite:
            self._vacuum_after_import()
        return total

    def _vacuum_after_import(self) -> None:
        # PostgreSQL serves the view counts from index-only scans, which need the
        # visibility map that only VACUUM sets; and fresh statistics for the planner.
        # Autovacuum would get there eventually, but the first queue after an import
        # would be slow until then. An optimisation: a refusal changes nothing.
        with (
            suppress(sa_exc.SQLAlchemyError),
            self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
        ):
            conn.exec_driver_sql("VACUUM (ANALYZE) tickets, ticket_watchers, comments")

    def _any_ticket(self, conn: Connection) -> bool:
        return conn.execute(sa.select(tickets.c.id).limit(1)).first() is not None

    @contextmanager
    def _bulk_mode(self, conn: Connection, empty: bool) -> Iterator[None]:
        """SQLite: load faster by building the ticket indexes once, at the end.

        Into an empty store the indexes are dropped and re-created after the load (one
        sort per index instead of a million B-tree inserts each); FTS5 keeps up to 64 MiB
        of postings in memory before writing a segment. It all happens inside the
        import's transaction, so a failed import rolls the indexes back as well.
        """
        if not self._sqlite:
            yield
            return
        indexes: list[tuple[str, str]] = []
        if empty:
            indexes = [
                (str(name), str(sql))
                for name, sql in conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                    " AND tbl_name = 'tickets' AND sql IS NOT NULL"
                )
            ]
            for name, _ in indexes:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('hashsize', ?)", (64 << 20,)
        )
        conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB while loading
        try:
            yield
            conn.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('hashsize', ?)", (1 << 20,)
            )
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.import_ids")
            for _, sql in indexes:
                conn.exec_driver_sql(sql)
        finally:
            # Back to the pool as it came: small cache (the rollback of a failed import
            # undoes the rest, the dropped indexes included).
            with suppress(sa_exc.SQLAlchemyError):
                conn.exec_driver_sql("PRAGMA cache_size=-65536")
                conn.exec_driver_sql("PRAGMA shrink_memory")

    def _index_imported(self, conn: Connection, everything: bool) -> None:
        """SQLite: add the imported tickets to the FTS table in one statement, all inside
        SQLite (no Python per row). `everything`: the store was empty before."""
        which = "" if everything else " WHERE t.id IN (SELECT id FROM temp.import_ids)"
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} (rowid, subject, description, comments)"
            " SELECT t.id, t.subject, t.description, COALESCE((SELECT group_concat(body,"
            f" char(10)) FROM comments c WHERE c.ticket_id = t.id), '') FROM tickets t{which}"
        )

    def _max_id(self, conn: Connection) -> int:
        if self._sqlite:
            return self._next_id(conn) - 1
        return int(
            conn.execute(sa.select(sa.func.coalesce(sa.func.max(tickets.c.id), 0))).scalar_one()
        )

    def _reserve_ids(self, conn: Connection, highest: int) -> None:
        # New tickets must get ids (and HD- keys) above everything imported.
        if self._sqlite:
            conn.exec_driver_sql(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = 'tickets' AND seq < ?",
                (highest, highest),
            )
        else:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('tickets', 'id'), GREATEST(%s,"
                " (SELECT COALESCE(max(id), 1) FROM tickets)))",
                (highest,),
            )

    def _prepare_batch(
        self, chunk: list[tuple[Ticket, Sequence[Comment]]], state: _ImportState, done: int
    ) -> _Batch:
        """Rows for one chunk of an import, assigning ids and keys (runs in the worker)."""
        prefix = self._prefix
        ts = self._ts_param
        batch = _Batch([], [], [])
        for position, item in enumerate(chunk, start=done + 1):
            try:
                ticket, thread = item
                key = ticket.key.strip() if ticket.key else ""
                id_ = ticket.id
                match = KEY_RE.match(key) if key else None
                own = int(match["number"]) if match and match["prefix"] == prefix else None
                if own is not None and own > state.max_own_number:
                    state.max_own_number = own
                if id_ is None:
                    id_ = own if own is not None else state.next_id
                if id_ >= state.next_id:
                    state.next_id = id_ + 1
                batch.rows.append(_ticket_params(ticket, id_, key or f"{prefix}-{id_}", ts))
                if thread:
                    batch.comments.extend(
                        (
                            id_,
                            _KIND[c.kind].value,
                            c.author,
                            c.body,
                            ts(c.created_at),
                            1 if c.from_customer else 0,
                        )
                        for c in thread
                    )
                    batch.texts.append("\n".join(c.body for c in thread))
                else:
                    batch.texts.append("")
            except StoreError:
                raise
            except KeyError as exc:
                raise InvalidInput(
                    f"ticket #{position}: unknown value {exc.args[0]!r:.40}"
                ) from exc
            except (AttributeError, TypeError, ValueError) as exc:
                raise InvalidInput(f"ticket #{position}: {exc}") from exc
        return batch

    def _write_batch(self, conn: Connection, batch: _Batch, empty: bool) -> int:
        """Insert one prepared chunk: tickets, watchers and comments.

        The search index is filled once at the end (`_index_imported`): FTS5 writes its
        pending postings at every statement boundary, so one INSERT ... SELECT over the
        whole import is far faster than one per batch.
        """
        self._insert_tickets(conn, batch.rows, batch.texts)
        if batch.comments:
            conn.exec_driver_sql(
                self._raw(
                    "INSERT INTO comments (ticket_id, kind, author, body, created_at,"
                    " from_customer) VALUES (?, ?, ?, ?, ?, (? <> 0))"
                ),
                batch.comments,
            )
        if self._sqlite and not empty:
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS import_ids (id INTEGER PRIMARY KEY)"
            )
            conn.exec_driver_sql(
                "INSERT INTO temp.import_ids (id) VALUES (?)", [(r[0],) for r in batch.rows]
            )
        return len(batch.rows)

    def purge(self, closed_before: datetime, actor: str, at: datetime, dry_run: bool) -> list[str]:
        """Remove closed or cancelled tickets closed before `closed_before`.

        A purge is for retention ("forensically purged after 24 months"): the ticket, its
        comments, attachments (rows and files), watchers, search entry and its earlier
        audit entries go; one tombstone entry ("purged", no personal data) stays.
        `dry_run` lists the keys that would go and changes nothing.
        """
        cutoff = check_ts("closed_before", closed_before)
        when = check_ts("at", at)
        t = tickets.c
        condition = sa.and_(
            t.status.in_([Status.CLOSED.value, Status.CANCELLED.value]), t.closed_at < cutoff
        )
        if dry_run:
            with self._read() as conn:
                return list(
                    conn.execute(sa.select(t.key).where(condition).order_by(t.id)).scalars()
                )
        purged: list[str] = []
        while True:
            with self._write() as conn:
                found = conn.execute(
                    sa.select(t.id, t.key, t.version)
                    .where(condition)
                    .order_by(t.id)
                    .limit(PURGE_BATCH)
                    .with_for_update()
                ).all()
                if not found:
                    break
                ids = [r[0] for r in found]
                files = list(
                    conn.execute(
                        sa.select(attachments.c.storage_path).where(
                            attachments.c.ticket_id.in_(ids)
                        )
                    ).scalars()
                )
                if self._sqlite:
                    conn.execute(
                        sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(
                            sa.bindparam("ids", expanding=True)
                        ),
                        {"ids": ids},
                    )
                # By key: the audit table's index (it has none on ticket_id).
                conn.execute(sa.delete(audit).where(audit.c.ticket_key.in_([r[1] for r in found])))
                conn.execute(sa.delete(tickets).where(t.id.in_(ids)))
                reason = f"retention: closed before {cutoff.isoformat()}"
                self._audit(
                    conn,
                    [
                        self._entry(r[0], r[1], when, actor, "purged", None, None, reason, r[2])
                        for r in found
                    ],
                )
                self._bump(conn)
            # After the commit: a failed delete leaves a stray file, never a broken row.
            self._remove_files(files)
            purged.extend(r[1] for r in found)
        return purged

    def _remove_files(self, relative_paths: Iterable[str]) -> None:
        folders: set[Path] = set()
        for relative in relative_paths:
            path = self._attachments_dir / relative
            with suppress(OSError):
                path.unlink()
            folders.add(path.parent)
        for folder in folders:
            with suppress(OSError):
                folder.rmdir()  # only if empty

    # -- agents and teams ------------------------------------------------------------

    def agents(self) -> list[Agent]:
        """Every agent, by username."""
        with self._read() as conn:
            rows = conn.execute(sa.select(agents).order_by(agents.c.username)).all()
        return [_agent_from_row(r) for r in rows]

    def get_agent(self, username: str) -> Agent:
        """One agent; NotFound if unknown."""
        with self._read() as conn:
            row = conn.execute(sa.select(agents).where(agents.c.username == username)).first()
        if row is None:
            raise NotFound(f"no agent {username}")
        return _agent_from_row(row)

    def save_agent(self, agent: Agent) -> Agent:
        """Insert or replace an agent (keyed by username)."""
        values = {
            "username": check_str("username", agent.username),
            "name": check_str("name", agent.name),
            "email": check_str("email", agent.email),
            "tier": check_int("tier", agent.tier),
            "role": enum_check(Role, False)("role", agent.role).value,
            "team": check_opt_str("team", agent.team),
            "organizations": _dump_strs(check_strs("organizations", agent.organizations)),
            "active": bool(agent.active),
        }
        with self._write() as conn:
            self._upsert(conn, agents, values, "username")
            self._bump(conn)
        return replace(agent, organizations=tuple(agent.organizations))

    def teams(self) -> list[Team]:
        """Every team, by name."""
        with self._read() as conn:
            rows = conn.execute(sa.select(teams.c.name, teams.c.description).order_by(teams.c.name))
            return [Team(name=r[0], description=r[1]) for r in rows]

    def save_team(self, team: Team) -> Team:
        """Insert or replace a team (keyed by name)."""
        values = {
            "name": check_str("name", team.name),
            "description": check_str("description", team.description),
        }
        with self._write() as conn:
            self._upsert(conn, teams, values, "name")
            self._bump(conn)
        return team

    def _upsert(self, conn: Connection, table: sa.Table, values: dict[str, Any], key: str) -> None:
        stmt = dialect_insert(not self._sqlite)(table).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[key], set_={k: stmt.excluded[k] for k in values if k != key}
        )
        conn.execute(stmt)

    def close(self) -> None:
        """Release every connection. The repository cannot be used afterwards.

        No ANALYZE / PRAGMA optimize here on purpose: every queue query is shaped to an
        index, SQLite's planner picks those without statistics (checked at a million
        tickets by benchmarks/bench_store.py), and sampled statistics made it choose
        worse plans for searches combined with a view.
        """
        self._feed.close()
        self._engine.dispose()


def _agent_from_row(r: Any) -> Agent:
    return Agent(
        username=r.username,
        name=r.name,
        email=r.email,
        tier=r.tier,
        role=_ROLE[r.role],
        team=r.team,
        organizations=_load_strs(r.organizations),
        active=bool(r.active),
    )


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _spellings(key: str) -> list[str]:
    # Keys are stored as given; "hd-42" typed by a person finds HD-42.
    wanted = key.strip()
    upper = wanted.upper()
    return [wanted] if upper == wanted else [wanted, upper]


def _hold(handle: IO[bytes]) -> None:
    """Lock a staged file for as long as `handle` is open (see `remove_orphaned_files`)."""
    if sys.platform != "win32":
        fcntl.flock(handle, fcntl.LOCK_EX)


def _orphaned(path: str, now: float) -> bool:
    """Whether no writer owns the staged file at `path` any more."""
    info = os.stat(path)
    if sys.platform == "win32":
        return now - info.st_mtime > _WINDOWS_STAGED_AGE
    if info.st_size == 0 and now - info.st_mtime < _JUST_CREATED:
        # A writer takes its lock a moment after creating the file: an empty, fresh
        # file may be one in that moment. A writer writes only once it holds the lock.
        return False
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live writer holds it
        return True


def _safe_filename(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._")
    return base[:80] or "file"


def _too_big(filename: str, size: int) -> str:
    limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
    return f"{filename} is {size / (1024 * 1024):.1f} MB; attachments may be at most {limit} MB"


def _reason(exc: BaseException, secret: str | None) -> str:
    """The first line of a driver error, without the password if it slipped in."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    text = lines[0] if lines else type(orig).__name__
    return text.replace(secret, "***") if secret else text
