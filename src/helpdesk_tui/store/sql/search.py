"""Full-text search: FTS5 on SQLite, a tsvector column on PostgreSQL (see tables.py)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from .column_types import FTS_TABLE, SEARCH_INDEX, SEARCH_VECTOR
from .tables import comments, tickets
from .transactions import SqlTransactions

_PG_SEARCH_CHARS = 300_000


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


def fts_count(conn: Connection, match: str) -> int:
    """SQLite: how many tickets the FTS5 expression `match` finds (one row a ticket)."""
    sql = f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
    return int(conn.exec_driver_sql(sql, (match,)).scalar_one())


def rum_schema(conn: Connection) -> str | None:
    """The schema the rum extension is installed in, or None where it is not."""
    return conn.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'rum'"
    ).scalar()


def symbol_condition(symbol: str) -> ColumnElement[bool]:
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


def search_text(subject: str, description: str, comments: str) -> str:
    # A tsvector holds at most 1 MB: index the first part of a very long thread.
    return _fold(f"{subject} {description} {comments}"[:_PG_SEARCH_CHARS])


class SearchIndex(SqlTransactions):
    """The search index's side of reads and writes, kept in the write's transaction."""

    def _text_condition(self, tokens: Sequence[str], walk: bool = False) -> ColumnElement[bool]:
        """The search as a WHERE term. `walk` (SQLite): the match only tests rows, never
        leads the plan (the unary + keeps the id off index selection), so the planner
        reads the sort's index in order (queries.py, _walks_sort_index)."""
        if self._sqlite:
            matches: sa.Select[Any] = sa.select(sa.literal_column("rowid"))
            matches = matches.select_from(sa.table(FTS_TABLE)).where(
                sa.literal_column(FTS_TABLE).op("MATCH")(sa.bindparam("fts", fts5_match(tokens)))
            )
            ticket_id = sa.literal_column("+tickets.id") if walk else tickets.c.id
            return ticket_id.in_(matches)
        words: sa.BindParameter[str] = sa.bindparam("tsq", tsquery(tokens))
        if self._under_row_security():
            # Through helpdesk_search() (migration 0004), which applies the row-level
            # rule itself: under the policy, `@@` could not use the GIN index.
            return tickets.c.id.in_(sa.select(sa.func.helpdesk_search(words)))
        vector: ColumnElement[Any] = sa.literal_column(f"tickets.{SEARCH_VECTOR}")
        return vector.op("@@")(sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), words))

    def _ranked_select(
        self,
        terms: list[ColumnElement[bool]],
        tokens: Sequence[str],
        descending: bool,
        conn: Connection | None = None,
        open_only: bool = False,
    ) -> sa.Select[Any]:
        """The ids of the tickets matching `tokens` and `terms`, best match first
        (`descending`: worst first), ranked by the search index, equal ranks by key.

        SQLite: FTS5's bm25 `rank` (see `_fts_ranked`). PostgreSQL: RUM's
        `<=>` distance, which the RUM index returns in order while it matches (migration
        0010), or, where the rum extension is not installed, ts_rank over every match
        (GIN cannot rank). Best first on RUM is the distance alone: PostgreSQL takes an
        index's order only for the whole ORDER BY, so a tie-break on the key would sort
        every match again; equal distances come in the index's own (repeatable) order.
        `conn` and `open_only` let SQLite choose its plan (`_fts_ranked`)."""
        by_key = tickets.c.id.desc() if descending else tickets.c.id.asc()
        if self._sqlite:
            return self._fts_ranked(terms, tokens, descending, conn, open_only)
        stmt = sa.select(tickets.c.id).where(*terms, self._text_condition(tokens))
        vector: ColumnElement[Any] = sa.literal_column(f"tickets.{SEARCH_VECTOR}")
        query = sa.func.to_tsquery(
            sa.literal_column("'simple'::regconfig"), sa.bindparam("tsq_rank", tsquery(tokens))
        )
        schema = self._ranking_schema()
        if schema is None:
            rank = sa.func.ts_rank(vector, query)  # higher is better
            return stmt.order_by(rank.asc() if descending else rank.desc(), by_key)
        distance = vector.op(f'OPERATOR("{schema}".<=>)', return_type=sa.Float())(query)
        if descending:
            return stmt.order_by(distance.desc(), by_key)
        return stmt.order_by(distance.asc())

    def _fts_ranked(
        self,
        terms: list[ColumnElement[bool]],
        tokens: Sequence[str],
        descending: bool,
        conn: Connection | None,
        open_only: bool,
    ) -> sa.Select[Any]:
        """SQLite's best-first ids: bm25 (`rank`) over the FTS5 matches, ties by key
        (the FTS rowid is the ticket's id).

        Looking a match up in the tickets costs about 1.3 µs (a B-tree descent into the
        wide rows, through the OS's page cache): 40 ms for the 31,000 matches of
        "printer" at a million tickets, as much as bm25 itself. So the ranking stays in
        the FTS table when it can: with no other filter it needs no ticket at all; over
        the open tickets (a set bounded by the work in hand, where the closed ones grow
        for ever), the filter may be read once from an index that holds it whole and
        each match tested against that list (`_filter_list_pays`). Any other filter (the
        closed tickets, an organization no index holds, a rare word) joins each match to
        its ticket, which costs no more than the matches."""
        rowid: ColumnElement[Any] = sa.literal_column(f"{FTS_TABLE}.rowid")
        rank: ColumnElement[Any] = sa.literal_column(f"{FTS_TABLE}.rank")
        expression = fts5_match(tokens)
        match = sa.literal_column(FTS_TABLE).op("MATCH")(sa.bindparam("fts", expression))
        order = (rank.desc(), rowid.desc()) if descending else (rank.asc(), rowid.asc())
        if not terms:
            stmt = sa.select(rowid.label("id")).select_from(sa.table(FTS_TABLE)).where(match)
            return stmt.order_by(*order)
        if (
            open_only
            and conn is not None
            and _filter_list_pays(conn, self._engine, terms, expression)
        ):
            # The unary + keeps the list from driving the FTS table row by row (one
            # MATCH per open ticket): it is only tested.
            in_filter = sa.literal_column(f"+{FTS_TABLE}.rowid").in_(
                sa.select(tickets.c.id).where(*terms)
            )
            stmt = sa.select(rowid.label("id")).select_from(sa.table(FTS_TABLE))
            return stmt.where(match, in_filter).order_by(*order)
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        stmt = sa.select(tickets.c.id).select_from(tickets.join(fts, fts.c.rowid == tickets.c.id))
        by_key = tickets.c.id.desc() if descending else tickets.c.id.asc()
        return stmt.where(*terms, match).order_by(order[0], by_key)

    _rum: tuple[str | None] | None = None

    def _ranking_schema(self) -> str | None:
        """Where the search index is RUM's (it ranks), the schema of the rum extension
        whose `<=>` it serves; None where it is GIN's. Asked once."""
        if self._rum is None:
            with self._engine.connect() as conn:
                method = conn.exec_driver_sql(
                    "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
                    f" WHERE c.oid = to_regclass('{SEARCH_INDEX}')"
                ).scalar()
                self._rum = (rum_schema(conn) if method == "rum" else None,)
        return self._rum[0]

    _row_security: bool | None = None

    def _under_row_security(self) -> bool:
        """Whether this PostgreSQL login is subject to the tickets' policy (an agent's
        own login), rather than the owner's or a superuser's; asked once."""
        if self._row_security is None:
            with self._engine.connect() as conn:
                exempt = conn.execute(
                    sa.text(
                        "SELECT r.rolsuper OR r.rolbypassrls"
                        " OR pg_has_role(session_user, c.relowner, 'MEMBER')"
                        " FROM pg_roles r, pg_class c"
                        " WHERE r.rolname = session_user AND c.oid = 'tickets'::regclass"
                    )
                ).scalar()
            self._row_security = not exempt
        return self._row_security

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
                (search_text(subject, description, thread), ticket_id),
            )

    def _index_imported(self, conn: Connection, everything: bool) -> None:
        """SQLite: add the imported tickets to the FTS table in one statement, all inside
        SQLite (no Python per row). `everything`: the store was empty before."""
        which = "" if everything else " WHERE t.id IN (SELECT id FROM temp.import_ids)"
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} (rowid, subject, description, comments)"
            " SELECT t.id, t.subject, t.description, COALESCE((SELECT group_concat(body,"
            f" char(10)) FROM comments c WHERE c.ticket_id = t.id), '') FROM tickets t{which}"
        )


_LIST_PER_MATCH = 2
"""A filter list of up to this many tickets a match costs less than joining each match.
At a million tickets, listing the 49,845 open ones and testing the 31,062 matches of
"printer" against them took 30-41 ms, joining those matches to their tickets 42 ms:
about 0.7 µs a listed ticket against 1.35 µs a joined match (raw SQLite, medians of 9;
benchmarks/bench_store.py --ranked-by-join times the app's page both ways)."""


def _filter_list_pays(
    conn: Connection, engine: sa.Engine, terms: list[ColumnElement[bool]], match: str
) -> bool:
    """Whether SQLite should list the tickets matching `terms` once and test each FTS
    match against the list, rather than join each match to its ticket: when the list
    comes from indexes alone (a covering index's range, or ids looked up by key, never a
    scan of the table) and holds fewer than _LIST_PER_MATCH tickets a match."""
    probe = sa.select(tickets.c.id).where(*terms)
    try:
        sql = probe.compile(engine, compile_kwargs={"literal_binds": True})
    except sa.exc.CompileError:  # a value with no literal form: ask nothing, join
        return False
    plan = [str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    reads = [line for line in plan if line.split(" ")[1:2] == ["tickets"]]
    from_indexes = bool(reads) and all(
        line.startswith("SEARCH ") and ("COVERING INDEX" in line or "PRIMARY KEY" in line)
        for line in reads
    )
    if not from_indexes:
        return False
    matches = fts_count(conn, match)
    enough = _LIST_PER_MATCH * matches
    listed = sa.select(sa.func.count()).select_from(probe.limit(enough).subquery())
    return int(conn.execute(listed).scalar_one()) < enough
