"""SqlRepository: the TicketRepository on SQLite (the default) or PostgreSQL, one code path.

Reads and writes go through SQLAlchemy Core on the tables of `tables.py`; each part of
the protocol has a module of its own (queries, search, writes, files, bulk, people, and
outbox for mail), whose classes this one combines. See transactions.py for how a write
commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine

from ..base import Capability, ChangeSet, InvalidInput, StoreError, StoreUnavailable
from .archive import ArchiveStore
from .beside import CountLane
from .column_types import to_epoch_us, to_utc
from .engine import database_url, describe, is_memory, make_engine
from .live import SqlChangeFeed
from .logins import LoginStore
from .merge import MergeStore
from .people import PeopleStore
from .presence import PresenceStore
from .reports import ReportQueries
from .shared_macros import SharedMacroStore
from .transactions import error_reason

__all__ = ["SqlRepository"]


class SqlRepository(
    ArchiveStore,
    MergeStore,
    PeopleStore,
    LoginStore,
    PresenceStore,
    SharedMacroStore,
    ReportQueries,
):
    """Tickets in SQLite (default) or PostgreSQL. Thread-safe: share one per process."""

    def __init__(self, engine: Engine, attachments_dir: Path, key_prefix: str = "HD") -> None:
        """Wrap an engine from `engine.make_engine` whose schema is at head.

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
        self._lane = None if self._sqlite else CountLane(engine, self._guard)

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
                f"cannot open database {describe(target)}: {error_reason(exc, target.password)}"
            ) from exc
        repo = cls(engine, Path(attachments_dir).expanduser(), key_prefix)
        repo.remove_orphaned_files()
        return repo

    # -- protocol: properties --------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Everything (search, attachments, CSAT, watchers, admin, purge, import, polling);
        logins of the agents' own and presence on PostgreSQL only."""
        if self._sqlite:
            return frozenset(Capability) - {Capability.LOGINS, Capability.PRESENCE}
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

    def wait_for_changes(self, token: str | None, timeout: float) -> ChangeSet:
        """Block until another writer changed something after `token` (a `change_token`
        or the token of the last ChangeSet), or `timeout` passed; which tickets changed.

        PostgreSQL wakes on NOTIFY, on a connection of its own; SQLite reads the change
        counter a few times a second. See live.py.
        """
        return self._feed.wait(token, timeout)

    def close(self) -> None:
        """Release every connection. The repository cannot be used afterwards.

        No ANALYZE / PRAGMA optimize here on purpose: every queue query is shaped to an
        index, SQLite's planner picks those without statistics (checked at a million
        tickets by benchmarks/bench_store.py), and sampled statistics made it choose
        worse plans for searches combined with a view.
        """
        self._feed.close()
        if self._lane is not None:
            self._lane.close()
        self._engine.dispose()
