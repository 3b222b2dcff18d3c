"""The lossless export (JSON Lines, "format": 2) on SQLite and PostgreSQL: a store with
replies, notes, a file, watchers, a link, an escalation and a merge is restored into an
empty one, whose export is then the same bytes; `--update` lays a ticket over the one
the store has; a bad record changes nothing."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft, transfer
from helpdesk_tui.service.transfer import ImportFormatError
from helpdesk_tui.store.base import TicketRepository
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN, empty_database
from tests.service.conftest import AGENTS
from tests.store.support import open_store

ADMIN = Agent("admin", "Ada Admin", tier=3, role=Role.ADMIN)
FILE = b"\x89PNG\r\n\x1a\n\x00\xff" + bytes(range(256)) * 3
"""A file that is not text: every byte value, and what a PNG starts with."""


class Desk:
    """A store with its agents and a clock each action moves on by a minute."""

    def __init__(self, repo: TicketRepository) -> None:
        self.repo = repo
        self.now = FROZEN - timedelta(days=1)
        repo.save_agent(ADMIN)

    def as_(self, who: str) -> HelpdeskService:
        agent = ADMIN if who == "admin" else self.repo.get_agent(who)
        self.now += timedelta(minutes=1)
        return HelpdeskService(self.repo, load_policy("default"), lambda: self.now, agent)

    def exported(self) -> str:
        out = io.StringIO()
        transfer.export(self.as_("admin"), out, "jsonl")
        return out.getvalue()


@pytest.fixture
def second_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the backend under test (the first is `store_url`)."""
    yield from empty_database(backend, tmp_path / "second")


@pytest.fixture
def source(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """Replies, notes, a file, watchers, a link, an escalation and a merge."""
    repo = open_store(backend, request, tmp_path / "source", AGENTS)
    desk = Desk(repo)
    try:
        vpn = desk.as_("admin").create(
            TicketDraft("VPN drops hourly", requester_email="maria@acme.example"),
            first_comment="It drops every hour, since Monday.",
        )
        vpn = desk.as_("alice").take(vpn.key, vpn.version)
        vpn = desk.as_("alice").reply(
            vpn.key, vpn.version, "Looking at the gateway now.", minutes=25
        )
        shot = tmp_path / "capture.png"
        shot.write_bytes(FILE)
        vpn = desk.as_("alice").attach(vpn.key, vpn.version, shot, "the packet capture")
        vpn = desk.as_("bob").watch(vpn.key, vpn.version)
        again = desk.as_("admin").create(TicketDraft("VPN drops again"), first_comment="Again!")
        again = desk.as_("alice").take(again.key, again.version)
        outage = desk.as_("admin").create(TicketDraft("Gateway certificate expired"))
        outage = desk.as_("alice").take(outage.key, outage.version)
        desk.as_("alice").link(vpn.key, "incident-of", outage.key)
        desk.as_("alice").escalate(outage.key, outage.version, 2, "needs the PKI team")
        desk.as_("alice").merge(again.key, again.version, vpn.key, vpn.version)
        yield desk
    finally:
        repo.close()


@pytest.fixture
def target(second_url: str, tmp_path: Path) -> Iterator[Desk]:
    repo = SqlRepository.open(second_url, tmp_path / "target-files")
    for name, (tier, role) in AGENTS.items():
        repo.save_agent(Agent(name, name.title(), f"{name}@helpdesk.test", tier, role))
    try:
        yield Desk(repo)
    finally:
        repo.close()


def _records(text: str) -> dict[str, dict[str, object]]:
    return {r["key"]: r for r in map(json.loads, text.splitlines())}


def _links(record: dict[str, object]) -> list[tuple[object, object]]:
    return [(x["kind"], x["target"]) for x in record["links"]]  # type: ignore[attr-defined]


def test_an_empty_store_takes_a_full_export_back_byte_for_byte(
    source: Desk, target: Desk, tmp_path: Path
) -> None:
    path = tmp_path / "all.jsonl"
    path.write_text(source.exported(), encoding="utf-8")
    assert transfer.import_file(target.as_("admin"), path, "jsonl") == 3
    assert target.exported() == path.read_text(encoding="utf-8")
    # What the equality is worth: the file holds all of it.
    vpn, again, outage = _records(path.read_text()).values()
    kinds = [(c["kind"], c["author"]) for c in vpn["comments"]]  # type: ignore[union-attr]
    assert ("reply", "alice") in kinds and ("note", "alice") in kinds
    assert len(kinds) >= 5  # the first message, reply, note, the merge's note and "Again!"
    [shot] = [f for c in vpn["comments"] for f in c["files"]]  # type: ignore[union-attr]
    assert base64.b64decode(shot["content"]) == FILE
    assert shot["sha256"] == hashlib.sha256(FILE).hexdigest() and shot["uploaded_by"] == "alice"
    assert "bob" in vpn["watchers"]  # type: ignore[operator]
    assert _links(vpn) == [("incident_of", outage["key"])]
    assert _links(again) == [("merged_into", vpn["key"])]
    assert again["merged_into"] == vpn["key"] and again["status"] == "closed"
    moved = [c["merged_from"] for c in vpn["comments"] if c["merged_from"]]  # type: ignore[union-attr]
    assert moved and set(moved) == {again["key"]}
    timed = [(c["kind"], c["minutes"]) for c in vpn["comments"] if c["minutes"]]  # type: ignore[union-attr]
    assert timed == [("reply", 25)]
    assert [c.minutes for c in target.repo.comments(str(vpn["key"])) if c.minutes] == [25]
    assert outage["escalation"] == "awaiting_tier" and outage["tier"] == 2
    assert outage["version"] == 3 and outage["sla_due_at"] is not None
    fields = [h["field"] for h in vpn["history"]]  # type: ignore[union-attr]
    assert fields[0] == "created" and "link" in fields and "attachment" in fields
    # The restored file is the same bytes, and no ticket's history tells of the import.
    key = str(vpn["key"])
    [restored] = [a for c in target.repo.comments(key) for a in c.attachments]
    assert restored.id is not None
    assert target.repo.attachment_path(key, restored.id).read_bytes() == FILE
    assert all(
        e.field != "import" for k in (key, again["key"]) for e in target.repo.history(str(k))
    )
    links = target.repo.links(str(outage["key"]))
    assert [(x.source, x.kind.value) for x in links] == [(key, "incident_of")]
    # The next ticket is numbered past those kept.
    assert target.as_("admin").create(TicketDraft("After the import")).key == "HD-4"


def test_a_key_the_store_has_is_refused_naming_it_and_nothing_is_written(
    source: Desk, tmp_path: Path
) -> None:
    text = source.exported()
    path = tmp_path / "again.jsonl"
    path.write_text(text)
    first = next(iter(_records(text)))
    with pytest.raises(ImportFormatError, match=f"line 1: key {first} is already in the store"):
        transfer.import_file(source.as_("admin"), path, "jsonl")
    assert source.exported() == text


def test_update_sets_the_fields_and_appends_the_new_comments(source: Desk, tmp_path: Path) -> None:
    records = _records(source.exported())
    key, record = next(iter(records.items()))
    before = source.repo.get(key)
    count = len(source.repo.comments(key))
    record["subject"] = "VPN drops hourly (gateway)"
    record["priority"] = "high"
    comment = {"kind": "note", "author": "carol", "body": "Renewed the certificate.", "minutes": 40}
    record["comments"].append(  # type: ignore[union-attr]
        {**comment, "created_at": FROZEN.isoformat(), "from_customer": False, "files": []}
    )
    path = tmp_path / "update.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert transfer.import_file(source.as_("admin"), path, "jsonl", update=True) == 1
    after = source.repo.get(key)
    assert after.subject == "VPN drops hourly (gateway)" and after.priority.value == "high"
    assert after.version == before.version + 1
    thread = source.repo.comments(key)
    assert len(thread) == count + 1 and thread[-1].author == "carol"
    assert thread[-1].minutes == 40
    changed = {e.field for e in source.repo.history(key) if e.reason == "import --update"}
    assert changed == {"subject", "priority", "note"}


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda r: r["comments"][2]["files"][0].update(content="not base64!"), "is not base64"),
        (lambda r: r["comments"][2]["files"][0].update(sha256="0" * 64), "sha256: does not match"),
        (lambda r: r["links"].append({"kind": "relates", "target": "HD-77"}), "HD-77, which is"),
        (lambda r: r.update(format=3), "format: 3 is not a format"),
        (lambda r: r["history"][0].update(at="yesterday"), "history, item 1, at"),
        (lambda r: r["comments"][1].update(minutes=0), "at least 1 minute"),
        (lambda r: r["comments"][1].update(minutes="15m"), "comments, item 2, minutes"),
        # At the stores' limit every later write would overflow it: the ticket stuck.
        (lambda r: r.update(version=2**63 - 1), "version: a whole number from 1 to"),
        (lambda r: r.update(version=10**20), "version: a whole number from 1 to"),
        (lambda r: r.update(version=0), "version: a whole number from 1 to"),
    ],
    ids=[
        "base64",
        "sha256",
        "unknown-link",
        "format",
        "history-time",
        "no-time",
        "time-text",
        "version-at-limit",
        "version-huge",
        "version-zero",
    ],
)
def test_a_bad_full_record_is_one_line_and_nothing_is_written(
    source: Desk, target: Desk, tmp_path: Path, spoil: object, message: str
) -> None:
    text = source.exported()
    lines = text.splitlines()
    record = json.loads(lines[0])
    assert callable(spoil)
    spoil(record)
    # The bad ticket comes last: the ones before it were taken, and are undone.
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*lines[1:], json.dumps(record)]) + "\n")
    with pytest.raises(ImportFormatError) as refused:
        transfer.import_file(target.as_("admin"), path, "jsonl")
    assert message in str(refused.value) and "bad.jsonl, line 3" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert target.exported() == ""
    stored = target.repo.attachments_dir  # type: ignore[attr-defined]
    assert [p for p in Path(stored).rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("backend", ["rt"], indirect=True)
def test_rt_exports_a_ticket_whole_and_refuses_the_import_in_one_line(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    repo = open_store(backend, request, tmp_path, AGENTS)
    try:
        lead = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, repo.get_agent("dave"))
        ticket = lead.create(TicketDraft("Export me from RT"), first_comment="It broke.")
        shot = tmp_path / "capture.png"
        shot.write_bytes(FILE)
        ticket = lead.note(ticket.key, ticket.version, "the capture", attachments=[shot])
        out = io.StringIO()
        transfer.export(lead, out, "jsonl")
        [record] = [r for r in _records(out.getvalue()).values() if r["key"] == ticket.key]
        files = [f for c in record["comments"] for f in c["files"]]  # type: ignore[attr-defined]
        assert [base64.b64decode(f["content"]) for f in files] == [FILE]
        assert any(c["body"] == "the capture" for c in record["comments"])  # type: ignore[attr-defined]
        assert record["history"]
        path = tmp_path / "rt.jsonl"
        path.write_text(json.dumps(record) + "\n")
        admin = Agent("dave", "Dave", tier=3, role=Role.ADMIN)
        service = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, admin)
        with pytest.raises(ImportFormatError) as refused:
            transfer.import_file(service, path, "jsonl")
        assert "bulk import" in str(refused.value) and "\n" not in str(refused.value)
    finally:
        repo.close()
