"""The SQL store: SqlRepository on SQLite (the default) or PostgreSQL, one module per job.

- `models`: the schema, declared once as SQLModel models; `tables`: the same tables as
  SQLAlchemy Core, generated from the models by `codegen` (what the store runs on);
  `column_types`: timestamps and ids on both databases; `migrations`: alembic revisions.
- `engine`: engines and SQLite's write queue; `transactions`: reads, writes, audit rows.
- `rows`: rows <-> domain objects; `queries`: filters, sorts, pages, counts;
  `search`: FTS5 / tsvector; `writes`: create, apply, claim, refusals;
  `files`: attachment staging; `bulk`: import and purge; `people`: agents and teams;
  `outbox`: the mail queue; `live`: the change feed.
- `repository`: SqlRepository, which combines them.

`SqlRepository` is imported from here on first use: `store.fields` reads the timestamp
helpers of `column_types`, and `repository` imports `store.fields`, so an eager import here would
make a circle for whoever imports `store.fields` first (the RT store does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .repository import SqlRepository

__all__ = ["SqlRepository"]


def __getattr__(name: str) -> Any:
    if name == "SqlRepository":
        from .repository import SqlRepository

        return SqlRepository
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
