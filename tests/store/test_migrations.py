"""Schema migrations: an old store is upgraded on open and keeps every ticket.

The tests walk every packaged revision, so a new revision is covered the day it is
added: tickets written at the first revision (with that revision's SQL, not the current
code) must still be there, unchanged, after each step and at head.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from helpdesk_tui.domain.model import Priority, Status
from helpdesk_tui.store.base import Query, SortKey
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.store.sql.column_types import to_epoch_us
from helpdesk_tui.store.sql.engine import make_engine
from helpdesk_tui.store.sql.migrations import (
    current_revision,
    downgrade,
    head_revision,
    include_object,
    revisions,
    upgrade,
)
from helpdesk_tui.store.sql.models import metadata

from .conftest import NOW

TICKETS = 30


def _write_at_first_revision(url: str, count: int) -> None:
    """Tickets, comments and audit rows as revision 0001 stores them, in plain SQL."""
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"

    def ts(value: datetime) -> Any:
        return to_epoch_us(value) if sqlite else value

    tickets = sa.table("tickets", *(sa.column(c) for c in _TICKET_0001_COLUMNS))
    comments = sa.table(
        "comments",
        *(
            sa.column(c)
            for c in ("ticket_id", "kind", "author", "body", "created_at", "from_customer")
        ),
    )
    audit = sa.table(
        "audit",
        *(sa.column(c) for c in ("ticket_id", "ticket_key", "at", "actor", "field", "version")),
    )
    rows = []
    for n in range(1, count + 1):
        created = NOW - timedelta(hours=n)
        rows.append(
            {
                "id": n,
                "key": f"HD-{n}",
                "subject": f"legacy ticket {n}",
                "description": f"written before the upgrade, number {n}",
                "type": "incident",
                "priority": "high" if n % 2 else "low",
                "priority_rank": 2 if n % 2 else 4,
                "status": "open" if n % 3 else "closed",
                "is_active": bool(n % 3),
                "tier": 1 + n % 3,
                "assignee": "bob" if n % 4 else None,
                "team": None,
                "requester_name": "Ada",
                "requester_email": "ada@example.com",
                "organization": "acme",
                "watchers": '["carol"]' if n % 5 == 0 else "[]",
                "channel": "email",
                "environment": None,
                "impact": "",
                "affected_users": None,
                "integration": None,
                "category": None,
                "tags": "[]",
                "language": "en",
                "created_at": ts(created),
                "updated_at": ts(created + timedelta(minutes=n)),
                "first_response_at": None,
                "resolved_at": None,
                "closed_at": None if n % 3 else ts(created + timedelta(hours=1)),
                "last_public_update_at": None,
                "last_customer_reply_at": None,
                "pauses": "[]",
                "escalation": "none",
                "escalation_reason": None,
                "escalated_by": None,
                "escalated_at": None,
                "escalated_from_tier": None,
                "merged_into": None,
                "follow_up_of": None,
                "csat_score": None,
                "csat_comment": None,
                "sla_due_at": ts(NOW + timedelta(minutes=n)) if n % 3 else None,
                "sla_risk_at": None,
                "sla_flags": "[]",
                "version": 1,
            }
        )
    try:
        with engine.begin() as conn:
            conn.execute(tickets.insert(), rows)
            conn.execute(
                comments.insert(),
                [
                    {
                        "ticket_id": r["id"],
                        "kind": "reply",
                        "author": "bob",
                        "body": f"legacy reply {r['id']}",
                        "created_at": r["updated_at"],
                        "from_customer": False,
                    }
                    for r in rows
                ],
            )
            conn.execute(
                audit.insert(),
                [
                    {
                        "ticket_id": r["id"],
                        "ticket_key": r["key"],
                        "at": r["created_at"],
                        "actor": "bob",
                        "field": "created",
                        "version": 1,
                    }
                    for r in rows
                ],
            )
            watching = [
                {"ticket_id": r["id"], "username": "carol"} for r in rows if r["id"] % 5 == 0
            ]
            if watching:
                conn.execute(
                    sa.table(
                        "ticket_watchers", sa.column("ticket_id"), sa.column("username")
                    ).insert(),
                    watching,
                )
            if sqlite:
                conn.exec_driver_sql(
                    "INSERT INTO tickets_fts (rowid, subject, description, comments)"
                    " SELECT id, subject, description, 'legacy reply ' || id FROM tickets"
                )
            else:
                conn.exec_driver_sql(
                    "UPDATE tickets SET search_vector = to_tsvector('simple',"
                    " subject || ' ' || description || ' legacy reply ' || id)"
                )
        if not sqlite:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('tickets', 'id'), %s)", (count,)
                )
    finally:
        engine.dispose()


_TICKET_0001_COLUMNS = str.split(
    "id key subject description type priority priority_rank status is_active tier assignee "
    "team requester_name requester_email organization watchers channel environment impact "
    "affected_users integration category tags language created_at updated_at "
    "first_response_at resolved_at closed_at last_public_update_at last_customer_reply_at "
    "pauses escalation escalation_reason escalated_by escalated_at escalated_from_tier "
    "merged_into follow_up_of csat_score csat_comment sla_due_at sla_risk_at sla_flags version"
)


def _count(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
    finally:
        engine.dispose()


def test_revisions_are_a_single_line_from_0001() -> None:
    chain = revisions()
    assert chain[0] == "0001"
    assert chain[-1] == head_revision()
    assert len(set(chain)) == len(chain)


def test_every_upgrade_step_keeps_every_ticket(store_url: str, tmp_path: Path) -> None:
    chain = revisions()
    upgrade(store_url, chain[0])
    assert current_revision(store_url) == chain[0]
    _write_at_first_revision(store_url, TICKETS)
    for revision in chain[1:]:
        upgrade(store_url, revision)
        assert current_revision(store_url) == revision
        for table in ("tickets", "comments", "audit"):
            assert _count(store_url, table) == TICKETS, (revision, table)

    repo = SqlRepository.open(store_url, tmp_path / "attachments")
    try:
        assert current_revision(repo.engine) == head_revision()
        page = repo.query(Query(sort=SortKey.KEY, limit=100))
        assert page.total == TICKETS
        assert [t.key for t in page.tickets] == [f"HD-{n}" for n in range(1, TICKETS + 1)]
        seven = repo.get("HD-7")
        assert seven.subject == "legacy ticket 7"
        assert seven.priority is Priority.HIGH and seven.status is Status.OPEN
        assert seven.created_at == NOW - timedelta(hours=7)
        assert seven.sla_due_at == NOW + timedelta(minutes=7)
        assert repo.get("HD-5").watchers == ("carol",)
        assert [c.body for c in repo.comments("HD-7")] == ["legacy reply 7"]
        assert [e.field for e in repo.history("HD-7")] == ["created"]
        assert repo.query(Query(text="legacy")).total == TICKETS
        assert repo.query(Query(watcher="carol")).total == TICKETS // 5
        assert repo.create(seven, actor="me").key == f"HD-{TICKETS + 1}"
    finally:
        repo.close()


def test_sqlite_search_index_keeps_each_tickets_length_from_0011(tmp_path: Path) -> None:
    # bm25 weighs a match by its ticket's length; without the sizes FTS5 tokenized every
    # matching ticket again to learn it. The rebuild keeps every row and every rank.
    url = str(tmp_path / "sizes.db")
    upgrade(url, "0001")
    _write_at_first_revision(url, TICKETS)
    upgrade(url, "0010")
    assert not _tables_like(url, "tickets_fts_docsize")
    before = _ranked(url, "legacy")
    upgrade(url, "0011")
    assert _count(url, "tickets_fts_docsize") == TICKETS
    assert _ranked(url, "legacy") == before
    assert len(before) == TICKETS
    assert _ranked(url, "reply 7") == [7]
    downgrade(url, "0010")
    assert not _tables_like(url, "tickets_fts_docsize")
    assert _tables_like(url, "tickets_fts%") == [f"tickets_fts{s}" for s in _FTS_SHADOWS]
    assert _ranked(url, "legacy") == before


_FTS_SHADOWS = ("", "_config", "_content", "_data", "_idx")


def _tables_like(url: str, pattern: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ORDER BY name",
                (pattern,),
            )
            return [str(name) for (name,) in rows]
    finally:
        engine.dispose()


def _ranked(url: str, words: str) -> list[int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ? ORDER BY rank, rowid",
                (words,),
            )
            return [int(rowid) for (rowid,) in rows]
    finally:
        engine.dispose()


def test_open_upgrades_an_old_store(store_url: str, tmp_path: Path) -> None:
    upgrade(store_url, revisions()[0])
    _write_at_first_revision(store_url, 3)
    repo = SqlRepository.open(store_url, tmp_path / "attachments")
    try:
        assert current_revision(repo.engine) == head_revision()
        assert repo.count(Query()) == 3
    finally:
        repo.close()


def test_models_match_the_migrated_schema(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": include_object, "compare_type": True}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_back(store_url: str) -> None:
    upgrade(store_url)
    downgrade(store_url, "base")
    assert current_revision(store_url) is None
    engine = make_engine(store_url)
    try:
        tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert tables == set()
    upgrade(store_url)
    upgrade(store_url)  # a second upgrade at head does nothing
    assert current_revision(store_url) == head_revision()


_OPENER = """
import sys, time
from pathlib import Path
from helpdesk_tui.store.sql import SqlRepository
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
SqlRepository.open(sys.argv[1]).close()
"""


def test_processes_opening_a_new_store_at_once(tmp_path: Path) -> None:
    # Each may find a new file and try to make it WAL and migrate it: the writers' turn
    # makes the others wait for the first, however long it takes, then find HEAD.
    # (Run 60 times with three processes each before the turn: 3 failed "locked".)
    for attempt in range(3):
        url = tmp_path / f"shared{attempt}.db"
        go = tmp_path / f"go{attempt}"
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", _OPENER, str(url), str(go)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        time.sleep(1.0)  # let each import the store and wait at the line
        go.touch()
        failures = [p.communicate(timeout=120)[1] for p in openers if p.wait(timeout=120)]
        assert failures == []
        assert current_revision(str(url)) == head_revision()


def test_threads_opening_a_new_store_at_once(tmp_path: Path) -> None:
    url = str(tmp_path / "shared.db")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            SqlRepository.open(url).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    run: Callable[[threading.Thread], None]
    for run in (threading.Thread.start, threading.Thread.join):
        for thread in threads:
            run(thread)
    assert errors == []
    assert current_revision(url) == head_revision()


def test_head_constant_matches_the_packaged_scripts() -> None:
    # The store skips importing alembic when a database is at HEAD; HEAD must be true.
    from helpdesk_tui.store.sql.migrations import HEAD, head_revision

    assert head_revision() == HEAD
