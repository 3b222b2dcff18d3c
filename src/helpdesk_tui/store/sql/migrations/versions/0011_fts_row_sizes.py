"""SQLite: the search index keeps each ticket's length, so ranking does not re-read it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

bm25 weighs a match by the length of its ticket. The FTS5 table was made with
`columnsize=0` (no per-row sizes) when nothing ranked, so a search by relevance read and
tokenized every matching ticket's whole text to learn its length: at a million tickets,
the best 50 of "printer"'s 31,062 matches took 127 ms on the index alone, 61 ms with the
sizes kept (docs/performance.md, "A search by relevance"). The sizes cost 11.5 MiB at a
million tickets. FTS5 cannot switch the option in place: the table is built again from
its own content, in the migration's transaction (about 20 s at a million tickets).
PostgreSQL: nothing changes.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = "subject, description, comments"
_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"
_LOADING_HASH = 16 << 20
"""FTS5's in-memory postings while the table is refilled; its default, 1 MiB, is set
back after. At a million tickets: 13.4 s and 41 MiB resident, against 23.3 s and 18 MiB
at the default and 13.9 s and 107 MiB at 64 MiB."""


def upgrade() -> None:
    _rebuild("")


def downgrade() -> None:
    _rebuild(", columnsize = 0")


def _rebuild(options: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute(f"CREATE VIRTUAL TABLE tickets_fts_new USING fts5({_COLUMNS}, {_TOKENIZE}{options})")
    op.execute(
        f"INSERT INTO tickets_fts_new (tickets_fts_new, rank) VALUES ('hashsize', {_LOADING_HASH})"
    )
    op.execute(
        f"INSERT INTO tickets_fts_new (rowid, {_COLUMNS}) SELECT rowid, {_COLUMNS} FROM tickets_fts"
    )
    op.execute(
        f"INSERT INTO tickets_fts_new (tickets_fts_new, rank) VALUES ('hashsize', {1 << 20})"
    )
    # Debian's SQLite zeroes every freed page (secure_delete), and inside the migration's
    # transaction each of them is first copied to the statement journal, kept in memory
    # (temp_store): 335 MiB at a million tickets. The text dropped is the text the new
    # table holds, so overwriting it protects nothing.
    secure = ("OFF", "ON", "FAST")[int(bind.exec_driver_sql("PRAGMA secure_delete").scalar_one())]
    op.execute("PRAGMA secure_delete = FAST")
    op.execute("DROP TABLE tickets_fts")
    op.execute(f"PRAGMA secure_delete = {secure}")
    op.execute("ALTER TABLE tickets_fts_new RENAME TO tickets_fts")
