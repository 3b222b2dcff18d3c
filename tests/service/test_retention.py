"""Retention (seeds/003: "support logs are forensically purged after 24 months"), on
SQLite and PostgreSQL: `purge` removes closed tickets older than the period with their
attachment files, leaves a tombstone in the audit log, and its dry run only lists.

The clock is frozen at Wednesday 2026-03-04 10:30 UTC, so 24 calendar months back is
2024-03-04 10:30. Tickets were worked and closed at these times:

  name          status     closed            why it matters
  old           closed     2024-01-10        25 months: goes, with its attachment
  spam          cancelled  2024-02-01        final too: goes
  just-over     closed     2024-03-04 10:29  a minute past 24 months: goes
  at-cutoff     closed     2024-03-04 10:30  exactly 24 months: stays (older than, not as old as)
  day-720       closed     2024-03-10        older than 720 days, younger than 24 months: stays
  recent        closed     2025-06-01        stays
  resolved      resolved   (2023-05-02)      never closed: stays, however old
  open          open       (created 2023)    stays
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.model import Agent, Role, Status
from helpdesk_tui.domain.periods import Span
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.base import NotFound
from helpdesk_tui.store.sql import SqlRepository
from tests.cli.test_cli import run
from tests.conftest import FROZEN

GONE = ("old", "spam", "just-over")
KEPT = ("at-cutoff", "day-720", "recent", "resolved", "open")


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+00:00")


@dataclass
class Store:
    repo: SqlRepository
    clock: Clock
    keys: dict[str, str]
    attachment: Path
    """Where the store keeps the file attached to "old"."""

    def as_(self, who: str) -> HelpdeskService:
        return HelpdeskService(
            self.repo, load_policy("default"), self.clock, self.repo.get_agent(who)
        )


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    # Where the command line keeps attachments too (the data dir is tmp_path/data).
    repo = SqlRepository.open(store_url, tmp_path / "data" / "attachments")
    repo.save_agent(Agent("admin", "Ada Admin", tier=3, role=Role.ADMIN))
    repo.save_agent(Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
    clock = Clock(FROZEN)
    svc = HelpdeskService(repo, load_policy("default"), clock, repo.get_agent("admin"))
    upload = tmp_path / "screenshot.png"
    upload.write_bytes(b"\x89PNG not really")
    keys: dict[str, str] = {}

    def worked(name: str, created: str, final: Status | None, closed: str | None) -> None:
        clock.at = at(created)
        key = keys[name] = svc.create(TicketDraft(subject=f"{name} ticket")).key
        clock.at += timedelta(minutes=5)
        files = [upload] if name == "old" else []
        ticket = svc.reply(key, 1, "Here is what we found.", attachments=files)
        if final is None:
            return
        if final is Status.CANCELLED:
            assert closed is not None
            clock.at = at(closed)
            svc.set_status(key, ticket.version, Status.CANCELLED, "spam")
            return
        clock.at += timedelta(minutes=5)
        ticket = svc.set_status(key, ticket.version, Status.RESOLVED)
        if final is Status.CLOSED:
            assert closed is not None
            clock.at = at(closed)
            svc.set_status(key, ticket.version, Status.CLOSED)

    worked("old", "2024-01-09T09:00:00", Status.CLOSED, "2024-01-10T09:00:00")
    worked("spam", "2024-01-31T09:00:00", Status.CANCELLED, "2024-02-01T09:00:00")
    worked("just-over", "2024-03-01T09:00:00", Status.CLOSED, "2024-03-04T10:29:00")
    worked("at-cutoff", "2024-03-01T09:00:00", Status.CLOSED, "2024-03-04T10:30:00")
    worked("day-720", "2024-03-08T09:00:00", Status.CLOSED, "2024-03-10T09:00:00")
    worked("recent", "2025-05-30T09:00:00", Status.CLOSED, "2025-06-01T09:00:00")
    worked("resolved", "2023-05-01T09:00:00", Status.RESOLVED, None)
    worked("open", "2023-05-01T09:00:00", None, None)
    clock.at = FROZEN
    [comment] = [c for c in repo.comments(keys["old"]) if c.attachments]
    attachment_id = comment.attachments[0].id
    assert attachment_id is not None
    path = repo.attachment_path(keys["old"], attachment_id)
    assert path.is_file() and path.read_bytes() == upload.read_bytes()
    yield Store(repo, clock, keys, path)
    repo.close()


def keys_of(store: Store, names: tuple[str, ...]) -> list[str]:
    return [store.keys[name] for name in names]


def test_dry_run_lists_what_would_go_and_changes_nothing(store: Store) -> None:
    before = {key: (store.repo.get(key), store.repo.history(key)) for key in store.keys.values()}
    token = store.repo.change_token()
    listed = store.as_("admin").purge(Span(months=24), dry_run=True)
    assert listed == keys_of(store, GONE)
    assert store.repo.change_token() == token
    assert {k: (store.repo.get(k), store.repo.history(k)) for k in store.keys.values()} == before
    assert store.attachment.is_file()


def test_purge_removes_closed_tickets_older_than_the_period(store: Store) -> None:
    removed = store.as_("admin").purge(Span(months=24), dry_run=False)
    assert removed == keys_of(store, GONE)
    for key in keys_of(store, GONE):
        with pytest.raises(NotFound):
            store.repo.get(key)
        with pytest.raises(NotFound):
            store.repo.comments(key)
    for key in keys_of(store, KEPT):
        assert store.repo.get(key).key == key
    # Only closed (or cancelled) tickets: the old resolved and open ones are still there.
    assert store.repo.get(store.keys["resolved"]).status is Status.RESOLVED
    assert store.repo.get(store.keys["open"]).status is Status.OPEN
    # Nothing left to do: a second run removes nothing.
    assert store.as_("admin").purge(Span(months=24), dry_run=False) == []


def test_attachment_files_are_gone_from_disk(store: Store) -> None:
    folder = store.attachment.parent
    store.as_("admin").purge(Span(months=24), dry_run=False)
    assert not store.attachment.exists()
    assert not folder.exists() or not any(folder.iterdir())
    assert not any(p.is_file() for p in store.repo.attachments_dir.rglob("*"))


def test_a_tombstone_stays_in_the_audit_log(store: Store) -> None:
    kept = {key: store.repo.history(key) for key in keys_of(store, KEPT)}
    assert all(len(history) > 3 for history in kept.values())
    store.as_("admin").purge(Span(months=24), dry_run=False)
    for key in keys_of(store, GONE):
        [tombstone] = store.repo.history(key)
        assert (tombstone.field, tombstone.actor, tombstone.at) == ("purged", "admin", FROZEN)
        assert tombstone.old is None and tombstone.new is None  # no personal data kept
        assert tombstone.reason == "retention: closed before 2024-03-04T10:30:00+00:00"
    # The kept tickets' history is untouched.
    assert {key: store.repo.history(key) for key in kept} == kept


def test_months_are_calendar_months(store: Store) -> None:
    """24 months is not 720 days: "day-720" was closed 724 days ago and must stay."""
    svc = store.as_("admin")
    assert store.keys["day-720"] in svc.purge(timedelta(days=720), dry_run=True)
    assert store.keys["day-720"] not in svc.purge(Span(months=24), dry_run=True)
    assert Span.parse("24m").before(FROZEN) == at("2024-03-04T10:30:00")
    assert Span.parse("2y") == Span(months=24)


def test_only_an_admin_purges(store: Store) -> None:
    with pytest.raises(AccessDenied):
        store.as_("lead").purge(Span(months=24), dry_run=True)
    assert store.repo.get(store.keys["old"]).key == store.keys["old"]


# --- the command line: the period comes from [retention] --------------------------------


def configure(store: Store, store_url: str, tmp_path: Path, retention: str = "") -> None:
    # The CLI finds ./helpdesk-tui.toml (the tests run in tmp_path), and its data dir
    # (HELPDESK_TUI_DATA_DIR) holds the attachments folder the store was opened with.
    assert store.repo.attachments_dir == tmp_path / "data" / "attachments"
    (tmp_path / "helpdesk-tui.toml").write_text(
        f'[backend]\nurl = "{store_url}"\n\n[agent]\nusername = "admin"\n\n{retention}',
        encoding="utf-8",
    )


def test_cli_default_is_24_months_from_config(
    store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(store, store_url, tmp_path)
    code, out, err = run(capsys, "purge", "--dry-run")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "would remove 3 closed tickets (closed before 2024-03-04 10:30 UTC, 24 months)"
    )
    assert [line.strip() for line in lines[1:]] == keys_of(store, GONE)
    assert store.repo.get(store.keys["old"]).key == store.keys["old"]  # a dry run


def test_cli_takes_the_period_from_retention_months(
    store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(store, store_url, tmp_path, "[retention]\nmonths = 12\n")
    code, out, err = run(capsys, "purge")
    assert code == 0, err
    assert out.splitlines()[0].startswith("removed 5 closed tickets (closed before 2025-03-04")
    gone = keys_of(store, (*GONE, "at-cutoff", "day-720"))
    assert [line.strip() for line in out.splitlines()[1:]] == sorted(
        gone, key=lambda k: int(k.split("-")[1])
    )
    for key in gone:
        with pytest.raises(NotFound):
            store.repo.get(key)
        assert [h.field for h in store.repo.history(key)] == ["purged"]
    assert not store.attachment.exists()
    assert store.repo.get(store.keys["recent"]).key == store.keys["recent"]


def test_cli_older_than_overrides_the_config(
    store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(store, store_url, tmp_path, "[retention]\nmonths = 12\n")
    code, out, err = run(capsys, "purge", "--older-than", "25m", "--dry-run")
    assert code == 0, err
    assert [line.strip() for line in out.splitlines()[1:]] == keys_of(store, ("old", "spam"))


@pytest.mark.parametrize("bad", ["0", "-3", '"24"'])
def test_cli_refuses_a_bad_retention(
    store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    configure(store, store_url, tmp_path, f"[retention]\nmonths = {bad}\n")
    code, out, err = run(capsys, "purge", "--dry-run")
    assert code == 2 and out == ""
    assert "retention.months" in err
