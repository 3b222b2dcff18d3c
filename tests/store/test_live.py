"""The change feed on real stores: another repository's writes wake a waiter soon, with
the keys of the tickets they touched (store/sql/live.py)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk_tui.domain.model import Agent
from helpdesk_tui.store.base import Change, ChangeFeed, ChangeSet, StoreUnavailable
from helpdesk_tui.store.sql import SqlRepository, live
from helpdesk_tui.store.sql.engine import make_engine
from tests.conftest import PG_URL
from tests.store.conftest import NOW, make_ticket

LIVE_WITHIN = 2.0
"""Issue #4: another agent's change shows within 2 seconds."""


@pytest.fixture
def other(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    """A second repository on the same database: another agent's process."""
    repository = SqlRepository.open(store_url, tmp_path / "attachments")
    try:
        yield repository
    finally:
        repository.close()


def wait_in_thread(repo: SqlRepository, token: str, timeout: float) -> dict[str, object]:
    """Start `repo.wait_for_changes` in a thread; the dict gets its answer and when."""
    seen: dict[str, object] = {}

    def run() -> None:
        try:
            seen["changes"] = repo.wait_for_changes(token, timeout)
        except Exception as exc:  # the test asserts on it
            seen["error"] = exc
        seen["at"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    seen["thread"] = thread
    thread.start()
    return seen


def test_another_writer_wakes_the_waiter_with_the_keys_it_touched(
    repo: SqlRepository, other: SqlRepository
) -> None:
    start = repo.wait_for_changes(None, 1.0)
    assert start == ChangeSet(repo.change_token(), frozenset())
    seen = wait_in_thread(repo, start.token, 10.0)
    time.sleep(0.3)  # the waiter is blocked (or polling) before the write happens
    created = other.create(make_ticket(1), "bob")
    written = time.monotonic()
    thread = seen["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(LIVE_WITHIN + 1)
    assert "error" not in seen
    assert seen["changes"] == ChangeSet(other.change_token(), frozenset({created.key}))
    assert float(seen["at"]) - written < LIVE_WITHIN  # type: ignore[arg-type]

    # A change to an existing ticket names that ticket, and only it.
    other.create(make_ticket(2), "bob")
    token = other.change_token()
    seen = wait_in_thread(repo, token, 10.0)
    time.sleep(0.2)
    other.apply(Change(created.key, created.version, "bob", NOW, {"category": "network"}))
    thread = seen["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(LIVE_WITHIN + 1)
    changes = seen["changes"]
    assert isinstance(changes, ChangeSet) and changes.keys == frozenset({created.key})


def test_a_wait_without_changes_times_out_with_none(repo: SqlRepository) -> None:
    token = repo.wait_for_changes(None, 1.0).token
    started = time.monotonic()
    changes = repo.wait_for_changes(token, 0.6)
    waited = time.monotonic() - started
    assert changes == ChangeSet(token, frozenset()) and not changes.changed
    assert 0.5 <= waited < 1.5


def test_changes_made_before_the_wait_are_reported_at_once(
    repo: SqlRepository, other: SqlRepository
) -> None:
    token = repo.change_token()
    keys = {other.create(make_ticket(n), "bob").key for n in range(1, 4)}
    started = time.monotonic()
    changes = repo.wait_for_changes(token, 10.0)
    assert time.monotonic() - started < 1.0
    assert changes.keys == frozenset(keys) and changes.token == repo.change_token()


def test_writes_to_no_ticket_and_old_tokens_mean_anything_changed(
    repo: SqlRepository, other: SqlRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = repo.change_token()
    other.save_agent(Agent("tia", "Tia", "tia@example.com", 1))
    assert repo.wait_for_changes(token, 1.0).keys is None  # an agent: which tickets? any

    # Keys are remembered for the last KEEP changes only (pruned every PRUNE_EVERY).
    monkeypatch.setattr(live, "KEEP", 4)
    monkeypatch.setattr(live, "PRUNE_EVERY", 2)
    old = repo.change_token()
    created = [other.create(make_ticket(n), "bob").key for n in range(1, 7)]
    assert repo.wait_for_changes(old, 1.0).keys is None
    recent = str(int(repo.change_token()) - 2)
    assert repo.wait_for_changes(recent, 1.0).keys == frozenset(created[-2:])
    with repo.engine.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT count(*) FROM store_meta WHERE name LIKE 'changed:%'")
        ).scalar_one()
    assert kept <= 4 + 2  # the key rows do not grow with the store


def test_a_store_without_a_feed_is_polled(repo: SqlRepository, other: SqlRepository) -> None:
    assert live.feed_for(repo) is repo and isinstance(repo, ChangeFeed)
    feed = live.PollingFeed(repo, every=0.2)  # what the app does for Request Tracker
    token = feed.wait_for_changes(None, 1.0).token
    assert feed.wait_for_changes(token, 0.5) == ChangeSet(token, frozenset())
    other.create(make_ticket(1), "bob")
    changes = feed.wait_for_changes(token, LIVE_WITHIN)
    assert changes.keys is None and changes.token == repo.change_token()


# -- PostgreSQL: channels and lost connections ---------------------------------------


POSTGRES_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _schema_url(schema: str) -> str:
    assert PG_URL is not None
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@POSTGRES_ONLY
def test_postgres_stores_in_other_schemas_never_wake_each_other(
    repo: SqlRepository, tmp_path: Path
) -> None:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(str(PG_URL))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    neighbour = SqlRepository.open(_schema_url(schema), tmp_path / "neighbour")
    try:
        token = repo.wait_for_changes(None, 1.0).token
        seen = wait_in_thread(repo, token, 1.5)
        time.sleep(0.2)
        neighbour.create(make_ticket(1), "bob")
        thread = seen["thread"]
        assert isinstance(thread, threading.Thread)
        thread.join(3)
        assert seen["changes"] == ChangeSet(token, frozenset())  # timed out: not ours
    finally:
        neighbour.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@POSTGRES_ONLY
def test_postgres_listener_reconnects_after_its_connection_is_killed(
    repo: SqlRepository, other: SqlRepository
) -> None:
    token = repo.wait_for_changes(None, 1.0).token
    with other.engine.begin() as conn:
        channel = conn.exec_driver_sql(f"SELECT {live.CHANNEL_SQL}").scalar_one()
        killed = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE query = %s AND pid <> pg_backend_pid()",
            (f'LISTEN "{channel}"',),
        ).scalar_one()
    assert killed == 1
    created = other.create(make_ticket(1), "bob")  # while nobody listens
    with pytest.raises(StoreUnavailable) as lost:
        repo.wait_for_changes(token, 5.0)
    assert "127.0.0.1" in str(lost.value) and "\n" not in str(lost.value)
    # The next wait connects again and still reports the change made meanwhile.
    assert repo.wait_for_changes(token, 5.0).keys == frozenset({created.key})


@POSTGRES_ONLY
def test_postgres_connections_find_a_dead_link_and_a_silent_server(
    repo: SqlRepository, store_url: str
) -> None:
    # libpq's parameters as the connection holds them (psycopg reports those not at
    # their default): keepalives for the listener's idle wait, a timeout for connecting.
    raw = repo.engine.raw_connection()
    try:
        params = raw.driver_connection.info.get_parameters()  # type: ignore[union-attr]
    finally:
        raw.close()
    assert params["keepalives_idle"] == "30" and params["keepalives_count"] == "3"
    assert params["connect_timeout"] == "10"
    # The URL's own values win.
    url = sa.make_url(store_url).update_query_dict({"keepalives_idle": "5"})
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            params = conn.connection.driver_connection.info.get_parameters()  # type: ignore[union-attr]
        assert params["keepalives_idle"] == "5" and params["connect_timeout"] == "10"
    finally:
        engine.dispose()


def test_closing_the_feed_while_its_thread_polls_is_safe(tmp_path: Path) -> None:
    # The app's exit closes the store while the listener's thread polls SQLite's commit
    # counter on a connection of its own: closed under it mid-query, the process crashed.
    for round_ in range(40):
        repo = SqlRepository.open(tmp_path / f"feed{round_}.db", tmp_path / "files")
        feed = repo._feed
        versions: list[int | None] = []

        def poll(feed: live.SqlChangeFeed = feed, versions: list[int | None] = versions) -> None:
            while not feed._closed:
                versions.append(feed._data_version())

        poller = threading.Thread(target=poll)
        poller.start()
        while not versions:
            time.sleep(0.001)
        repo.close()
        poller.join(timeout=5)
        assert not poller.is_alive()
        assert versions[0] is not None and feed._data_version() is None
