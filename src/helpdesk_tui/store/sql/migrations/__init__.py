"""Schema migrations for the SQL store, run programmatically (no alembic.ini at runtime).

`SqlRepository.open` calls `upgrade()` so an older store is brought to the newest schema
on start. Each upgrade runs in one transaction holding the database's write lock (the
writers' turn and BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so two app
instances starting at once migrate one after the other and a failed migration leaves the
old schema intact.

Writing a new revision (developers): create `versions/NNNN_what.py` from
`script.py.mako`, or let alembic draft one against a store at the previous revision::

    python -m helpdesk_tui.store.sql.migrations sqlite:///tmp/store.db revision \
        --autogenerate -m "what changed"

Then keep it runnable on both SQLite and PostgreSQL (see the template's docstring).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, Engine

from ...base import StoreError, StoreUnavailable
from ..column_types import FTS_TABLE, SEARCH_INDEX, SEARCH_VECTOR
from ..engine import WRITE, describe, make_engine, writer_turn

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = "0011"
"""The newest revision, known without importing alembic (about 0.2 s of every start).
A test checks it against alembic's own idea of the head: add a migration, update this."""

SCRIPT_LOCATION = Path(__file__).resolve().parent
"""The folder holding env.py and versions/ inside the installed package."""

_PG_LOCK_KEY = 0x4844_5455_4900  # "HDTUI": serialises concurrent upgrades on PostgreSQL


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """For autogenerate: leave out the search structures, made by raw DDL, not the models."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    if type_ == "column" and name == SEARCH_VECTOR:
        return False
    return not (type_ == "index" and name == SEARCH_INDEX)


def alembic_config(url: str | None = None) -> Config:
    """An alembic Config pointing at the packaged scripts (and at `url`, for the CLI)."""
    from alembic.config import Config

    config = Config()
    # Config values go through ConfigParser interpolation: escape "%" in paths and URLs.
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    """The newest revision id, as alembic reads it from the packaged scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations packaged"
    return head


def current_revision(engine_or_url: Engine | str | Path | URL) -> str | None:
    """The revision a database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with _engine(engine_or_url) as engine, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def at_head(engine: Engine) -> bool:
    """True when the database is already at HEAD: one cheap query, no alembic import."""
    # A store that cannot be reached raises here: taking it for a new database would
    # try again to migrate it, and a timeout would be waited out twice.
    with engine.connect() as conn:
        try:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except sa_exc.SQLAlchemyError:
            return False  # no version table yet: a new database
    return found == [HEAD]


def upgrade(engine_or_url: Engine | str | Path | URL, revision: str = "head") -> None:
    """Migrate a database up to `revision` (default: the newest), in one locked transaction."""
    from alembic import command

    with _engine(engine_or_url) as engine, _locked(engine) as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine_or_url: Engine | str | Path | URL, revision: str) -> None:
    """Migrate a database down to `revision` ("base" drops everything): for tests and rescue."""
    from alembic import command

    with _engine(engine_or_url) as engine, _locked(engine) as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


@contextmanager
def _engine(engine_or_url: Engine | str | Path | URL) -> Iterator[Engine]:
    if isinstance(engine_or_url, Engine):
        yield engine_or_url
        return
    engine = make_engine(engine_or_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    try:
        # The writers' turn first: a second process opening the same new store then
        # sleeps until this upgrade is committed, however long it takes, instead of
        # running out SQLite's busy timeout.
        with writer_turn(engine), engine.connect() as conn:
            conn.execution_options(**WRITE)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                yield conn
    except StoreError:
        raise
    except sa_exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreUnavailable(f"cannot open database {describe(engine.url)}: {reason}") from exc


def main(argv: list[str] | None = None) -> None:
    """`python -m helpdesk_tui.store.sql.migrations URL <alembic command and options>`."""
    from alembic.config import CommandLine

    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        raise SystemExit("usage: python -m helpdesk_tui.store.sql.migrations URL COMMAND [OPTIONS]")
    url, rest = args[0], args[1:]
    cli = CommandLine(prog="python -m helpdesk_tui.store.sql.migrations")
    options = cli.parser.parse_args(rest)
    config = alembic_config(url)
    config.cmd_opts = options
    cli.run_cmd(config, options)
