"""SqlRepository against real databases: what SQL adds to the contract that every store
keeps (tests/store/test_contract.py): numbering, index search, locking, the time of a write,
file storage, purge, bulk import, agent admin and connection errors."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_tui.domain.model import (
    ACTIVE_STATUSES,
    MAX_ATTACHMENT_BYTES,
    Agent,
    Comment,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
)
from helpdesk_tui.store.base import (
    Capability,
    InvalidInput,
    NewAttachment,
    NotFound,
    Query,
    SortKey,
    StoreUnavailable,
    TicketRepository,
)
from helpdesk_tui.store.sql import SqlRepository, bulk, files

from .conftest import NOW, make_ticket
from .support import ME, change, note

# --- basics --------------------------------------------------------------------------


def test_is_a_ticket_repository_with_every_capability(repo: SqlRepository, backend: str) -> None:
    # Logins of the agents' own are PostgreSQL's: a local file's user is its OS user.
    # Presence too: nobody else is told on a local file (no NOTIFY).
    assert isinstance(repo, TicketRepository)
    local = {Capability.LOGINS, Capability.PRESENCE} if backend == "sqlite" else set()
    assert repo.capabilities == frozenset(Capability) - local
    assert repo.key_prefix == "HD"


def test_a_fresh_store_numbers_its_tickets_from_one(repo: SqlRepository) -> None:
    first = repo.create(make_ticket(1), actor="alice")
    second = repo.create(make_ticket(2), actor="alice")
    assert [(t.key, t.id) for t in (first, second)] == [("HD-1", 1), ("HD-2", 2)]


# --- full-text search (what the database's index adds to the contract's) ------------------


def _search(repo: SqlRepository, text: str) -> list[str]:
    return [t.key for t in repo.query(Query(text=text, sort=SortKey.KEY)).tickets]


def test_search_matches_word_prefixes_and_folds_diacritics(repo: SqlRepository) -> None:
    fire = repo.create(
        make_ticket(1, subject="Printer on fire"), actor=ME, comment=note("toner cartridge")
    )
    cafe = repo.create(make_ticket(2, subject="VPN drops", description="Café wifi"), actor=ME)
    assert _search(repo, "cartr") == [fire.key]  # every word is a prefix
    assert _search(repo, "cafe") == [cafe.key]  # diacritics folded
    fire = repo.apply(change(fire, fields={"description": "now about a scanner"}))
    assert _search(repo, "scanner") == [fire.key]  # a new description is indexed


def test_search_for_an_emoji_finds_the_tickets_that_hold_it(repo: SqlRepository) -> None:
    # No full-text index keeps emoji: "🔥" once had no words left and matched everything.
    fire = repo.create(make_ticket(1, subject="Server room 🔥 again"), actor=ME)
    thread = repo.create(make_ticket(2, subject="Plain"), actor=ME, comment=note("it is 🔥🔥"))
    coder = repo.create(make_ticket(3, subject="Dev", description="by 👩\u200d💻 team"), actor=ME)
    repo.create(make_ticket(4, subject="Nothing hot, 100% cold_case"), actor=ME)
    assert _search(repo, "🔥") == [fire.key, thread.key]
    assert _search(repo, "🔥🔥") == [thread.key]
    assert _search(repo, "room 🔥") == [fire.key]  # words and symbols together
    assert _search(repo, "👩\u200d💻") == [coder.key]  # a joined emoji is one symbol
    assert _search(repo, "🧊") == []
    assert repo.count(Query(text="🔥")) == 2  # the count's shortcuts agree with the page


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=40))
def test_any_search_text_never_raises(repo: SqlRepository, text: str) -> None:
    page = repo.query(Query(text=text, statuses=ACTIVE_STATUSES))
    assert page.total >= 0


# --- concurrency ---------------------------------------------------------------------


def test_two_threads_writing_at_once_never_see_database_is_locked(
    repo: SqlRepository,
) -> None:
    seeds = [repo.create(make_ticket(n), actor=ME) for n in range(2)]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def writer(seed: Ticket) -> None:
        barrier.wait()
        ticket = seed
        try:
            for n in range(25):
                ticket = repo.apply(change(ticket, n, fields={"impact": f"step {n}"}))
                repo.create(make_ticket(n), actor=ME, comment=note(f"hello {n}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        barrier.wait()
        try:
            for _ in range(25):
                repo.query(Query(statuses=ACTIVE_STATUSES, text="ticket"))
                repo.change_token()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s,)) for s in seeds]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert repo.count(Query()) == 2 + 2 * 25
    assert [repo.get(s.key).version for s in seeds] == [26, 26]


# --- writes --------------------------------------------------------------------------


def test_a_write_is_timed_by_the_change(repo: SqlRepository) -> None:
    # SQL keeps the change's own time (RT keeps its clock for LastUpdated and history).
    ticket = repo.create(make_ticket(), actor=ME)
    at = NOW + timedelta(minutes=5)
    updated = repo.apply(change(ticket, fields={"priority": Priority.HIGH}, comment=note("x")))
    assert updated.updated_at == at == repo.get(ticket.key).updated_at
    assert {e.at for e in repo.history(ticket.key)[1:]} == {at}


def test_attachment_failing_inside_the_transaction_rolls_everything_back(
    repo: SqlRepository, tmp_path: Path
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    source = tmp_path / "log.txt"
    source.write_text("gateway log\n")
    # The ticket's attachment folder cannot be made (a file is in the way), which only
    # shows after the ticket row, the comment and the attachment row were written.
    repo.attachments_dir.mkdir(parents=True, exist_ok=True)
    (repo.attachments_dir / str(ticket.id)).write_text("in the way")
    with pytest.raises(StoreUnavailable):
        repo.apply(
            change(
                ticket,
                fields={"status": Status.OPEN},
                comment=note("see log"),
                attachments=[NewAttachment("log.txt", source)],
            )
        )
    assert repo.get(ticket.key) == ticket
    assert [e.field for e in repo.history(ticket.key)] == ["created"]
    assert repo.comments(ticket.key) == []
    assert sorted(p.name for p in repo.attachments_dir.iterdir()) == [".incoming", str(ticket.id)]
    assert not any((repo.attachments_dir / ".incoming").iterdir())


# --- attachments ---------------------------------------------------------------------


def test_attachments_keep_their_names_and_are_stored_under_safe_ones(
    repo: SqlRepository, tmp_path: Path
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "../evil name?.bin"
    source.write_bytes(data)
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:  # sparse: no 90 MB written to disk
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)
    with pytest.raises(InvalidInput):
        repo.apply(change(ticket, comment=note("x"), attachments=[NewAttachment("h", huge)]))
    assert not repo.attachments_dir.exists() or not any(repo.attachments_dir.rglob("*"))
    repo.apply(
        change(
            ticket,
            comment=note("dump attached"),
            attachments=[NewAttachment("../evil name?.bin", source, "application/x-dump")],
        )
    )
    [comment] = repo.comments(ticket.key)
    [file] = comment.attachments
    assert (file.filename, file.size) == ("../evil name?.bin", len(data))
    assert file.id is not None
    path = repo.attachment_path(ticket.key, file.id)
    assert path.read_bytes() == data
    assert repo.attachments_dir.resolve() in path.resolve().parents
    assert ".." not in path.name and "?" not in path.name
    assert not any((repo.attachments_dir / ".incoming").iterdir())


def test_an_unreadable_source_is_named_not_the_attachments_folder(
    repo: SqlRepository, tmp_path: Path
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    # /proc/self/mem stats as a regular file of size 0, and fails on the first read.
    for source, why in ((Path("/proc/self/mem"), "Input/output error"), (tmp_path, "not a file")):
        with pytest.raises(InvalidInput) as refused:
            repo.apply(change(ticket, comment=note("x"), attachments=[NewAttachment("m", source)]))
        assert str(source) in str(refused.value) and why in str(refused.value)
        assert "attachments folder" not in str(refused.value)
    assert repo.get(ticket.key) == ticket and repo.comments(ticket.key) == []
    staging = repo.attachments_dir / ".incoming"
    assert not staging.exists() or not any(staging.iterdir())


def test_files_staged_by_a_writer_killed_mid_write_are_removed_at_open(
    store_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "attachments"
    repo = SqlRepository.open(store_url, folder)
    ticket = repo.create(make_ticket(), actor=ME)
    source = tmp_path / "log.txt"
    source.write_text("x" * 1000)
    staging = folder / ".incoming"
    # A second writer, alive, mid-copy: its staged file is locked and must stay.
    live = SqlRepository.open(store_url, folder)
    release = threading.Event()
    copying = threading.Event()
    real_hold = files._hold

    def hold_and_wait(handle: object) -> None:
        real_hold(handle)  # type: ignore[arg-type]
        copying.set()
        release.wait(10)

    try:
        files._hold = hold_and_wait  # type: ignore[assignment]
        writer = threading.Thread(
            target=live.apply,
            args=(change(ticket, comment=note("live"), attachments=[NewAttachment("a", source)]),),
        )
        writer.start()
        assert copying.wait(10)
    finally:
        files._hold = real_hold  # type: ignore[assignment]
    # Orphans: one with content, one empty and old (killed before it could write).
    orphan = staging / "staged-dead1"
    orphan.write_bytes(b"half a file")
    empty = staging / "staged-dead2"
    empty.write_bytes(b"")
    os.utime(empty, (0, 0))
    fresh_empty = staging / "staged-just-made"
    fresh_empty.write_bytes(b"")
    [live_file] = [
        p for p in staging.iterdir() if p.name not in (orphan.name, empty.name, fresh_empty.name)
    ]
    other = SqlRepository.open(store_url, folder)  # the next start
    try:
        assert not orphan.exists() and not empty.exists()
        assert live_file.exists()  # a live writer's file is left alone
        assert fresh_empty.exists()  # maybe a writer between creating and locking it
    finally:
        release.set()
        writer.join(10)
        other.close()
        live.close()
        repo.close()
    again = SqlRepository.open(store_url, folder)
    try:
        [comment] = again.comments(ticket.key)
        assert comment.body == "live" and comment.attachments[0].size == 1000
    finally:
        again.close()
    assert not live_file.exists()  # moved to its place when the write committed


# --- purge ---------------------------------------------------------------------------


def test_purge_dry_run_lists_and_real_run_removes_and_leaves_tombstones(
    repo: SqlRepository, tmp_path: Path
) -> None:
    old = NOW - timedelta(days=800)
    cutoff = NOW - timedelta(days=730)
    gone = repo.create(
        make_ticket(1, subject="zanzibar", status=Status.CLOSED, closed_at=old), actor=ME
    )
    cancelled = repo.create(make_ticket(2, status=Status.CANCELLED, closed_at=old), actor=ME)
    recent = repo.create(make_ticket(3, status=Status.CLOSED, closed_at=NOW), actor=ME)
    resolved = repo.create(make_ticket(4, status=Status.RESOLVED, closed_at=None), actor=ME)
    source = tmp_path / "a.txt"
    source.write_text("attached")
    gone = repo.apply(
        change(
            gone,
            fields={"watchers": ("bob",)},
            comment=note("zanzibar notes"),
            attachments=[NewAttachment("a.txt", source)],
        )
    )
    [attachment] = repo.comments(gone.key)[0].attachments
    assert attachment.id is not None
    stored = repo.attachment_path(gone.key, attachment.id)
    token = repo.change_token()

    assert repo.purge(cutoff, "admin", NOW, dry_run=True) == [gone.key, cancelled.key]
    assert repo.get(gone.key) == gone
    assert repo.change_token() == token

    assert repo.purge(cutoff, "admin", NOW, dry_run=False) == [gone.key, cancelled.key]
    for key in (gone.key, cancelled.key):
        with pytest.raises(NotFound):
            repo.get(key)
        with pytest.raises(NotFound):
            repo.comments(key)
        [tombstone] = repo.history(key)
        assert (tombstone.field, tombstone.actor, tombstone.at) == ("purged", "admin", NOW)
        assert tombstone.old is None and tombstone.new is None
    assert not stored.exists()
    assert _search(repo, "zanzibar") == []
    assert repo.query(Query(watcher="bob")).total == 0
    assert repo.change_token() != token
    assert {t.key for t in repo.query(Query()).tickets} == {recent.key, resolved.key}
    assert repo.purge(cutoff, "admin", NOW, dry_run=False) == []
    # A new ticket never reuses a purged key.
    assert repo.create(make_ticket(9), actor=ME).key == "HD-5"


# --- bulk import ---------------------------------------------------------------------


def test_bulk_import_assigns_or_keeps_keys_and_imports_comments(
    repo: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BATCH_SIZE", 4)  # several batches
    items: list[tuple[Ticket, list[Comment]]] = [
        (make_ticket(n, subject=f"imported {n}"), []) for n in range(9)
    ]
    items.append((make_ticket(20, key="XY-7", subject="foreign"), [note("kiwifruit")]))
    items.append((make_ticket(21, key="HD-500", subject="own prefix"), [note("a"), note("b")]))
    items.append((make_ticket(22, watchers=("bob", "bob")), []))
    assert repo.bulk_import(iter(items)) == 12
    keys = [t.key for t in repo.query(Query(sort=SortKey.KEY, limit=100)).tickets]
    assert keys == [*(f"HD-{n}" for n in range(1, 10)), "XY-7", "HD-500", "HD-501"]
    assert repo.get("XY-7").id == 10
    assert repo.get("XY-7").subject == "foreign"
    assert repo.get("HD-500").id == 500
    assert [c.body for c in repo.comments("HD-500")] == ["a", "b"]
    assert _search(repo, "kiwifruit") == ["XY-7"]
    assert repo.get("HD-501").watchers == ("bob",)
    assert repo.query(Query(watcher="bob")).total == 1
    assert repo.create(make_ticket(), actor=ME).key == "HD-502"
    # A second import goes into a store that is no longer empty.
    assert repo.bulk_import([(make_ticket(30, subject="latecomer grapefruit"), [])]) == 1
    assert _search(repo, "grapefruit") == ["HD-503"]
    assert repo.bulk_import([]) == 0


def test_bulk_import_is_all_or_nothing(
    repo: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BATCH_SIZE", 3)
    repo.create(make_ticket(), actor=ME)
    token = repo.change_token()
    duplicate: list[tuple[Ticket, list[Comment]]] = [(make_ticket(n), []) for n in range(7)]
    duplicate.append((make_ticket(8, key="HD-3"), []))
    with pytest.raises(InvalidInput):
        repo.bulk_import(duplicate)
    bad_value: list[tuple[Ticket, list[Comment]]] = [(make_ticket(n), []) for n in range(5)]
    bad_value.append((make_ticket(6, status="exploded"), []))
    with pytest.raises(InvalidInput, match="ticket #6"):
        repo.bulk_import(bad_value)
    assert repo.count(Query()) == 1
    assert repo.change_token() == token
    assert repo.create(make_ticket(), actor=ME).key == "HD-2"


# --- agents and teams ----------------------------------------------------------------


def test_agents_and_teams_are_upserted(repo: SqlRepository) -> None:
    alex = Agent("alex", "Alex", "alex@example.com", tier=2, role=Role.LEAD, team="net")
    repo.save_agent(alex)
    repo.save_agent(Agent("bea", "Bea", organizations=("acme", "globex")))
    repo.save_agent(replace(alex, tier=3, active=False))
    assert [a.username for a in repo.agents()] == ["alex", "bea"]
    assert repo.get_agent("alex") == replace(alex, tier=3, active=False)
    assert repo.get_agent("bea").organizations == ("acme", "globex")
    with pytest.raises(NotFound):
        repo.get_agent("nobody")
    repo.save_team(Team("net", "Network"))
    repo.save_team(Team("net", "Networking"))
    repo.save_team(Team("apps"))
    assert repo.teams() == [Team("apps"), Team("net", "Networking")]


# --- errors and connection settings --------------------------------------------------


def test_unreachable_postgres_is_store_unavailable_without_the_password() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        SqlRepository.open(
            "postgresql://helpdesk:s3cr3t-pw@127.0.0.1:9/helpdesk", Path("/tmp/unused")
        )
    message = str(caught.value)
    assert "s3cr3t-pw" not in message
    assert "127.0.0.1" in message


def test_unusable_sqlite_file_is_store_unavailable(tmp_path: Path) -> None:
    garbage = tmp_path / "not-a-db.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable, match=r"not-a-db\.db"):
        SqlRepository.open(garbage)
    with pytest.raises(StoreUnavailable):
        SqlRepository.open(tmp_path)  # a folder


def test_sqlite_connections_are_tuned_for_concurrency(tmp_path: Path) -> None:
    repo = SqlRepository.open(tmp_path / "deep" / "folder" / "store.db")
    try:
        assert (tmp_path / "deep" / "folder" / "store.db").exists()
        assert repo.attachments_dir == tmp_path / "deep" / "folder" / "attachments"
        with repo.engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
        assert pragma == {
            "journal_mode": "wal",
            "busy_timeout": 5000,
            "foreign_keys": 1,
            "synchronous": 1,  # NORMAL
        }
    finally:
        repo.close()


def test_sqlite_search_index_stays_consistent(tmp_path: Path) -> None:
    repo = SqlRepository.open(tmp_path / "store.db")  # FTS5 is SQLite's own index
    try:
        _check_fts5_after_every_kind_of_write(repo)
    finally:
        repo.close()


def _check_fts5_after_every_kind_of_write(repo: SqlRepository) -> None:
    for n in range(5):
        ticket = repo.create(make_ticket(n, status=Status.CLOSED, closed_at=NOW), actor=ME)
        ticket = repo.apply(change(ticket, comment=note(f"comment {n}")))
        repo.apply(change(ticket, fields={"subject": f"renamed {n}"}))
    repo.bulk_import([(make_ticket(9), [note("imported")])])
    repo.purge(NOW + timedelta(days=1), "admin", NOW, dry_run=False)
    with repo.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tickets_fts(tickets_fts) VALUES ('integrity-check')")
        rows = conn.execute(sa.text("SELECT count(*) FROM tickets_fts")).scalar()
    assert rows == repo.count(Query()) == 1
