"""Eight processes writing to the same tickets at once: nothing lost, every conflict told.

Issue #4 (team mode), acceptance line 3, on SQLite and on PostgreSQL: 8 writer processes,
each with its own SqlRepository on the same store, make 500 writes each to the same few
tickets. Every write is based on the version that writer last saw, so most of them are
stale by the time they arrive. Each write adds one to a counter field (`affected_users`)
as the writer last saw it: a write applied on a stale base would leave the counter short
of the number of successful writes, and two successes would claim the same version.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from helpdesk_tui.domain.model import Agent
from helpdesk_tui.store.base import Capability, Change, ConflictError
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.store.sql.engine import make_engine, writer_turn

from .conftest import make_ticket
from .support import AGENT_PASSWORD, agent_url

WRITERS = 8
WRITES = 500
TICKETS = 3
START = 1000
"""The counter's value before the writers start (not 0: a reset would show too)."""


@dataclass
class WriterLog:
    """What one writer process saw: every attempt ends up in exactly one list."""

    writer: str
    successes: list[tuple[str, int, int]] = field(default_factory=list)
    """(key, version written, counter written)."""
    conflicts: list[tuple[str, int, int, tuple[str, ...]]] = field(default_factory=list)
    """(key, base version, current version, fields changed since), as the error told."""
    errors: list[str] = field(default_factory=list)
    """Anything else raised: none expected (a "database is locked" would land here)."""
    started: float = 0.0
    ended: float = 0.0
    """time.time() when the writes began (all writers at once) and when this one was done."""


def run_writers(urls: list[str], files: Path, keys: list[str], writes: int) -> list[WriterLog]:
    """Start a process per URL making `writes` writes each to `keys`; their logs.

    Spawned, not forked: each writer is a fresh interpreter with its own engine and
    connections, as eight agents' apps on eight machines would be. They start writing
    together (a barrier), after each has opened the store and read the tickets.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(urls))
    out = context.Queue()
    workers = [
        context.Process(
            target=_writer, args=(url, str(files), keys, n, writes, barrier, out), daemon=True
        )
        for n, url in enumerate(urls)
    ]
    for worker in workers:
        worker.start()
    logs: list[WriterLog] = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return sorted(logs, key=lambda log: log.writer)


def _writer(
    url: str, files: str, keys: list[str], number: int, writes: int, barrier: Any, out: Any
) -> None:
    """One writer process: `writes` attempts at random tickets, each on the last version seen."""
    repo = SqlRepository.open(url, Path(files), migrate=False)
    log = WriterLog(f"writer{number}")
    rng = random.Random(number)
    try:
        seen = {key: repo.get(key) for key in keys}
        barrier.wait(timeout=120)
        log.started = time.time()
        for _ in range(writes):
            key = rng.choice(keys)
            base = seen[key]
            counter = (base.affected_users or 0) + 1
            change = Change(
                key=key,
                base_version=base.version,
                actor=log.writer,
                at=datetime.now(UTC),
                fields={"affected_users": counter},
            )
            try:
                written = repo.apply(change)
            except ConflictError as exc:
                log.conflicts.append(
                    (key, exc.base_version, exc.current.version, exc.changed_fields)
                )
                seen[key] = exc.current  # the conflict carries the ticket as it is now
            except Exception as exc:  # recorded and asserted on by the test
                log.errors.append(f"{type(exc).__name__}: {exc}")
                seen[key] = repo.get(key)
            else:
                log.successes.append((key, written.version, written.affected_users or 0))
                seen[key] = written
        log.ended = time.time()
    except Exception as exc:
        log.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        repo.close()
        out.put(log)


def writer_urls(repo: SqlRepository, store_url: str) -> list[str]:
    """Where each writer signs in: on PostgreSQL an agent's own login, under the
    database's grants and row-level security, as on a team's server."""
    if Capability.LOGINS not in repo.capabilities:
        return [store_url] * WRITERS
    urls = []
    for n in range(WRITERS):
        repo.save_agent(Agent(f"writer{n}", f"Writer {n}"))
        repo.set_agent_password(f"writer{n}", AGENT_PASSWORD)
        url = sa.make_url(agent_url(store_url, f"writer{n}")).set(password=AGENT_PASSWORD)
        urls.append(url.render_as_string(hide_password=False))
    return urls


def test_eight_writers_lose_nothing_and_hear_of_every_conflict(
    store_url: str, tmp_path: Path
) -> None:
    files = tmp_path / "attachments"
    repo = SqlRepository.open(store_url, files)
    try:
        keys = [
            repo.create(make_ticket(n, affected_users=START), actor="setup").key
            for n in range(1, TICKETS + 1)
        ]
        before = {key: repo.get(key) for key in keys}
        logs = run_writers(writer_urls(repo, store_url), files, keys, WRITES)

        # Every attempt was either written or refused as a conflict, and nothing else.
        for log in logs:
            assert log.errors == [], (log.writer, log.errors[:3])
            assert len(log.successes) + len(log.conflicts) == WRITES, log.writer
        # Every refusal was a real conflict: the ticket had moved on, by a counter write.
        for log in logs:
            for key, base, current, changed in log.conflicts:
                assert current > base, (log.writer, key, base, current)
                assert "affected_users" in changed, (log.writer, key, changed)
        conflicts = sum(len(log.conflicts) for log in logs)
        assert conflicts > 0  # the test must actually provoke conflicts to prove anything

        for key in keys:
            after = repo.get(key)
            done = [(v, c, log.writer) for log in logs for k, v, c in log.successes if k == key]
            # No lost update: each success moved the version by one, and no two successes
            # wrote the same version; the counter went up once per success.
            assert after.version - before[key].version == len(done), key
            assert sorted(v for v, _, _ in done) == list(
                range(before[key].version + 1, after.version + 1)
            ), key
            assert after.affected_users == START + len(done), key
            # Each success wrote the counter its own base version implied.
            assert all(c == START + v - before[key].version for v, c, _ in done), key
            # The audit has one entry per success, naming its writer, version and values.
            entries = [e for e in repo.history(key) if e.field != "created"]
            if Capability.LOGINS in repo.capabilities:  # each signed in as itself
                assert all(e.login == e.actor for e in entries), key
            assert sorted(
                (e.version or 0, int(e.new or 0), e.actor, int(e.old or 0)) for e in entries
            ) == sorted((v, c, w, c - 1) for v, c, w in done), key
        successes = sum(len(log.successes) for log in logs)
        print(
            f"\n{repo.engine.dialect.name}: {WRITERS} writers x {WRITES} writes: "
            f"{successes} written, {conflicts} conflicts in "
            f"{max(log.ended for log in logs) - min(log.started for log in logs):.1f} s"
        )
    finally:
        repo.close()


def test_sqlite_writers_queue_for_their_turn(tmp_path: Path) -> None:
    # The queue in front of SQLite's write lock (store/sql/engine.py): a second writer waits
    # for the first, even in the same process; a write begun inside another write of the
    # same thread does not wait for itself (SQLite's busy timeout then has the last word).
    engine = make_engine(tmp_path / "store.db")
    entered = threading.Event()

    def second() -> None:
        with writer_turn(engine):
            entered.set()

    try:
        with writer_turn(engine):
            waiting = threading.Thread(target=second, daemon=True)
            waiting.start()
            assert not entered.wait(timeout=0.5)
            with writer_turn(engine):  # nested: returns at once
                pass
        assert entered.wait(timeout=10)
        waiting.join(timeout=10)
    finally:
        engine.dispose()
