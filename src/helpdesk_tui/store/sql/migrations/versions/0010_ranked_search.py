"""PostgreSQL: the search index becomes RUM's where the rum extension can be had.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

GIN finds a search's matches but cannot order them: a search sorted by relevance had to
rank every match (ts_rank on each row) before its first page. A RUM index holds each
word's positions, so the same index scan that matches also returns the matches best
first (`ORDER BY search_vector <=> query`), and still answers `@@` by bitmap for the
other sorts. The extension is Debian's postgresql-15-rum; creating it needs a superuser,
so this tries in a savepoint and keeps GIN where it cannot (ranked search then falls
back to ts_rank: correct, slower for a common word). docs/performance.md ("Search") has
the SQL an administrator runs to switch a store made before the extension was installed.

The extension goes in `public`, not the store's schema: one database may hold several
stores, and dropping one store's schema must not take the extension, and every other
store's index, with it. SQLite's FTS5 table ranks already (bm25): nothing changes there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_RUM_SCHEMA = (
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    " WHERE e.extname = 'rum'"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql(_RUM_SCHEMA).scalar()
    if schema is None:
        available = bind.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'rum'"
        ).scalar()
        if not available:
            return
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS rum WITH SCHEMA public")
        except sa.exc.DBAPIError:
            return  # not a superuser: GIN stays
        schema = bind.exec_driver_sql(_RUM_SCHEMA).scalar()
    op.execute("DROP INDEX IF EXISTS ix_tickets_search")
    op.execute(
        "CREATE INDEX ix_tickets_search ON tickets"
        f' USING rum (search_vector "{schema}".rum_tsvector_ops)'
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_tickets_search")
    op.execute("CREATE INDEX ix_tickets_search ON tickets USING gin (search_vector)")
