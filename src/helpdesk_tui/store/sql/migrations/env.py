"""Alembic environment for the SQL store.

Normally run by `helpdesk_tui.store.sql.migrations.upgrade`, which passes an open connection
(already inside a locked transaction) in `config.attributes["connection"]`. The alembic
command line works too: `alembic -x url=sqlite:///path/to/store.db ...` with a config
whose `script_location` points here (see the package docstring).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from helpdesk_tui.store.sql.migrations import include_object

# The Core twin of models.py (equal by tests/store/test_tables_generated.py): an upgrade
# runs inside the store's write lock, where importing SQLModel and pydantic (seconds on a
# cold start) kept a second process opening the same new store waiting past its timeout.
from helpdesk_tui.store.sql.tables import metadata

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return str(url or config.get_main_option("sqlalchemy.url"))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        compare_type=True,
        # SQLite can only ADD COLUMN; batch mode rebuilds the table for other ALTERs.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade --sql`)."""
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the connection handed over by `upgrade()`, or open one from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from helpdesk_tui.store.sql.engine import WRITE, make_engine

    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            conn.execution_options(**WRITE)
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
