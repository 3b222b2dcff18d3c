"""SqlRepository against real databases: views, search, conflicts, audit, files, purge."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_tui.domain.model import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    MAX_ATTACHMENT_BYTES,
    Agent,
    Channel,
    Comment,
    CommentKind,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    TicketType,
)
from helpdesk_tui.store import sql
from helpdesk_tui.store.base import (
    Capability,
    Change,
    ConflictError,
    InvalidInput,
    NewAttachment,
    NotFound,
    Query,
    SortKey,
    StoreError,
    StoreUnavailable,
    TicketRepository,
)
from helpdesk_tui.store.sql import SqlRepository

from .conftest import NOW, make_ticket

ME = "me"


def change(ticket: Ticket, minutes: int = 5, **kw: object) -> Change:
    """A change based on `ticket`'s version, by "me", `minutes` after NOW."""
    return Change(
        key=ticket.key,
        base_version=ticket.version,
        actor=ME,
        at=NOW + timedelta(minutes=minutes),
        **kw,  # type: ignore[arg-type]
    )


def note(body: str, minutes: int = 5) -> Comment:
    return Comment(CommentKind.NOTE, ME, body, NOW + timedelta(minutes=minutes))


# --- basics --------------------------------------------------------------------------


def test_is_a_ticket_repository_with_every_capability(repo: SqlRepository) -> None:
    assert isinstance(repo, TicketRepository)
    assert repo.capabilities == frozenset(Capability)
    assert repo.key_prefix == "HD"


def test_create_assigns_id_key_version_and_writes_created_entry(repo: SqlRepository) -> None:
    first = repo.create(make_ticket(1), actor="alice")
    second = repo.create(make_ticket(2), actor="alice", comment=note("first words"))
    assert (first.key, first.id, first.version) == ("HD-1", 1, 1)
    assert second.key == "HD-2"
    entries = repo.history("HD-2")
    assert [(e.field, e.actor, e.version) for e in entries] == [
        ("created", "alice", 1),
        ("note", "alice", 1),
    ]
    assert [c.body for c in repo.comments("HD-2")] == ["first words"]
    assert repo.get("hd-2") == second  # keys are found whatever their case


def test_every_field_round_trips(repo: SqlRepository) -> None:
    pause = PauseInterval(NOW - timedelta(hours=2), NOW - timedelta(hours=1), Status.PENDING)
    ticket = Ticket(
        key="",
        subject="Ünïcode subject ✓",
        description="line one\nline two",
        type=TicketType.ACCESS_REQUEST,
        priority=Priority.CRITICAL,
        status=Status.ON_HOLD,
        tier=3,
        assignee="bob",
        team="network",
        requester_name="Ada",
        requester_email="ada@example.com",
        organization="acme",
        watchers=("carol", "dave"),
        channel=Channel.PHONE,
        environment=Environment.UAT,
        impact="everyone in Berlin",
        affected_users=250,
        integration="sso",
        category="access",
        tags=("vip", "a,b"),
        language="de",
        created_at=NOW - timedelta(days=2),
        updated_at=NOW - timedelta(days=1),
        first_response_at=NOW - timedelta(days=1, hours=23, microseconds=7),
        resolved_at=None,
        closed_at=None,
        last_public_update_at=NOW - timedelta(hours=3),
        last_customer_reply_at=NOW - timedelta(hours=4),
        pauses=(pause, PauseInterval(NOW - timedelta(minutes=30), None, Status.ON_HOLD)),
        escalation=Escalation.AWAITING_LEAD,
        escalation_reason="customer disputes",
        escalated_by="bob",
        escalated_at=NOW - timedelta(hours=5),
        escalated_from_tier=2,
        merged_into=None,
        follow_up_of="HD-0",
        csat_score=4,
        csat_comment="fine",
        sla_due_at=None,
        sla_risk_at=None,
        sla_flags=("response:breached",),
    )
    stored = repo.create(ticket, actor="alice")
    assert stored == replace(ticket, key="HD-1", id=1, version=1)
    assert repo.get("HD-1") == stored
    assert stored.created_at.tzinfo is UTC


def test_create_checks_values_like_apply_does(repo: SqlRepository) -> None:
    with pytest.raises(InvalidInput):
        repo.create(make_ticket(tier="2"), actor=ME)
    with pytest.raises(InvalidInput):
        repo.create(make_ticket(created_at=datetime(2025, 1, 1)), actor=ME)  # naive
    assert repo.count(Query()) == 0
    stored = repo.create(make_ticket(assignee="", status="open"), actor=ME)
    assert (stored.assignee, stored.status) == (None, Status.OPEN)
    assert repo.count(Query(unassigned=True)) == 1


def test_get_unknown_key_is_not_found(repo: SqlRepository) -> None:
    with pytest.raises(NotFound):
        repo.get("HD-404")
    with pytest.raises(NotFound):
        repo.history("HD-404")
    with pytest.raises(NotFound):
        repo.comments("HD-404")


def test_change_token_moves_on_every_write(repo: SqlRepository) -> None:
    tokens = [repo.change_token()]
    ticket = repo.create(make_ticket(), actor=ME)
    tokens.append(repo.change_token())
    repo.apply(change(ticket, fields={"priority": Priority.HIGH}))
    tokens.append(repo.change_token())
    assert len(set(tokens)) == 3
    assert repo.change_token() == tokens[-1]  # reading changes nothing


# --- queue views: filters, sorts, pages and counts in the database -------------------

PEOPLE = (ME, "bob", "carol", None)


def _dataset(repo: SqlRepository, count: int = 120) -> list[Ticket]:
    """A seeded mix with ties (same due times, same creation times) to test tie-breaks."""
    rng = random.Random(42)
    dues = [NOW + timedelta(minutes=m) for m in (-90, -10, 10, 20, 45, 300)]
    items: list[tuple[Ticket, list[Comment]]] = []
    for n in range(count):
        status = rng.choice(list(Status))
        due = rng.choice([*dues, None]) if status in ACTIVE_STATUSES else None
        items.append(
            (
                make_ticket(
                    n,
                    subject=f"Ticket {n}",
                    status=status,
                    priority=rng.choice(list(Priority)),
                    tier=rng.choice([1, 2, 3]),
                    assignee=rng.choice(PEOPLE),
                    organization=rng.choice(["acme", "globex", None]),
                    watchers=tuple(
                        sorted(set(rng.sample([ME, "bob", "carol"], rng.randint(0, 2))))
                    ),
                    escalation=rng.choice(list(Escalation)),
                    created_at=NOW - timedelta(hours=rng.randint(1, 40)),
                    updated_at=NOW - timedelta(minutes=rng.randint(1, 500)),
                    closed_at=NOW - timedelta(days=rng.randint(1, 900))
                    if status.is_final
                    else None,
                    sla_due_at=due,
                ),
                [],
            )
        )
    assert repo.bulk_import(items) == count
    page = repo.query(Query(sort=SortKey.KEY, limit=count))
    assert page.total == count
    return page.tickets


def _matches(t: Ticket, q: Query) -> bool:
    """The Query semantics, written out plainly in Python."""
    if q.statuses and t.status not in q.statuses:
        return False
    if q.priorities and t.priority not in q.priorities:
        return False
    if q.types and t.type not in q.types:
        return False
    if q.tiers and t.tier not in q.tiers:
        return False
    if (q.assignees or q.unassigned) and not (
        t.assignee in q.assignees or (q.unassigned and t.assignee is None)
    ):
        return False
    if q.organizations is not None and t.organization not in q.organizations:
        return False
    if q.watcher is not None and q.watcher not in t.watchers:
        return False
    if q.escalations and t.escalation not in q.escalations:
        return False
    if q.due_before is not None and (t.sla_due_at is None or t.sla_due_at >= q.due_before):
        return False
    if q.created_after is not None and t.created_at < q.created_after:
        return False
    if q.created_before is not None and t.created_at >= q.created_before:
        return False
    return not (
        q.closed_before is not None and (t.closed_at is None or t.closed_at >= q.closed_before)
    )


def _expected(tickets: list[Ticket], q: Query) -> list[Ticket]:
    sign = -1 if q.descending else 1

    def due(t: Ticket) -> tuple[int, float]:
        # Paused clocks (no due time) last, in both directions.
        return (1, 0.0) if t.sla_due_at is None else (0, sign * t.sla_due_at.timestamp())

    def key(t: Ticket) -> tuple[object, ...]:
        assert t.id is not None
        if q.sort is SortKey.SLA_DUE:
            return (due(t), sign * t.id)
        if q.sort is SortKey.PRIORITY:
            return (sign * t.priority.rank, due(t), sign * t.id)
        if q.sort is SortKey.CREATED:
            return (sign * t.created_at.timestamp(), sign * t.id)
        if q.sort is SortKey.UPDATED:
            return (sign * t.updated_at.timestamp(), sign * t.id)
        return (sign * t.id,)

    return sorted((t for t in tickets if _matches(t, q)), key=key)


SAVED_VIEWS = {
    "my open": Query(assignees=frozenset({ME}), statuses=ACTIVE_STATUSES),
    "all open": Query(statuses=ACTIVE_STATUSES),
    "unassigned": Query(unassigned=True, statuses=ACTIVE_STATUSES),
    "my closed": Query(assignees=frozenset({ME}), statuses=DONE_STATUSES),
    "all closed": Query(statuses=DONE_STATUSES),
    "watching": Query(watcher=ME),
    "breaching soon": Query(due_before=NOW + timedelta(minutes=30), statuses=ACTIVE_STATUSES),
    "by tier": Query(tiers=frozenset({2}), statuses=ACTIVE_STATUSES),
}
OTHER_FILTERS = {
    "everything": Query(),
    "pending only": Query(statuses=frozenset({Status.PENDING})),
    "mine or nobody's": Query(assignees=frozenset({ME}), unassigned=True),
    "two people": Query(assignees=frozenset({ME, "bob"}), statuses=DONE_STATUSES),
    "acme and globex": Query(organizations=frozenset({"acme", "globex"})),
    "critical/high incidents": Query(
        priorities=frozenset({Priority.CRITICAL, Priority.HIGH}),
        types=frozenset({TicketType.INCIDENT}),
    ),
    "awaiting": Query(escalations=frozenset({Escalation.AWAITING_LEAD, Escalation.AWAITING_TIER})),
    "created window": Query(
        created_after=NOW - timedelta(hours=30), created_before=NOW - timedelta(hours=10)
    ),
    "closed before": Query(closed_before=NOW - timedelta(days=300)),
    "tiers 1 and 3, mixed statuses": Query(
        tiers=frozenset({1, 3}), statuses=frozenset({Status.NEW, Status.RESOLVED})
    ),
}


@pytest.mark.parametrize("view", [*SAVED_VIEWS, *OTHER_FILTERS])
def test_views_page_sort_and_count_like_python_would(repo: SqlRepository, view: str) -> None:
    tickets = _dataset(repo)
    base = {**SAVED_VIEWS, **OTHER_FILTERS}[view]
    for sort in SortKey:
        for descending in (False, True):
            query = replace(base, sort=sort, descending=descending, limit=7)
            want = _expected(tickets, query)
            assert repo.count(query) == len(want)
            for offset in (0, 7, len(want) - 3, len(want) + 5):
                page = repo.query(query.page(offset))
                assert page.total == len(want), (view, sort, descending)
                start = max(0, offset)
                assert [t.key for t in page.tickets] == [t.key for t in want[start : start + 7]], (
                    view,
                    sort,
                    descending,
                    offset,
                )
                assert (page.offset, page.limit) == (start, 7)


def test_saved_views_are_not_empty_in_the_dataset(repo: SqlRepository) -> None:
    # Guards the test above against passing on empty results.
    tickets = _dataset(repo)
    for name, query in SAVED_VIEWS.items():
        assert len(_expected(tickets, query)) >= 3, name


def test_sla_sort_puts_paused_clocks_last_both_ways(repo: SqlRepository) -> None:
    dues = [NOW + timedelta(minutes=5), None, NOW - timedelta(minutes=5), None]
    for n, due in enumerate(dues):
        repo.create(make_ticket(n, status=Status.OPEN, sla_due_at=due), actor=ME)
    up = repo.query(Query(statuses=ACTIVE_STATUSES))
    down = repo.query(Query(statuses=ACTIVE_STATUSES, descending=True))
    assert [t.sla_due_at for t in up.tickets] == [dues[2], dues[0], None, None]
    assert [t.sla_due_at for t in down.tickets] == [dues[0], dues[2], None, None]


def test_organizations_none_means_all_and_empty_means_none(repo: SqlRepository) -> None:
    repo.create(make_ticket(1, organization="acme"), actor=ME)
    repo.create(make_ticket(2, organization="globex"), actor=ME)
    repo.create(make_ticket(3, organization=None), actor=ME)
    assert repo.query(Query(organizations=None)).total == 3
    assert repo.query(Query(organizations=frozenset())).total == 0
    assert repo.query(Query(organizations=frozenset())).tickets == []
    assert repo.count(Query(organizations=frozenset({"acme"}))) == 1


def test_due_before_never_matches_a_paused_clock(repo: SqlRepository) -> None:
    repo.create(make_ticket(1, status=Status.PENDING, sla_due_at=None), actor=ME)
    soon = repo.create(make_ticket(2, status=Status.OPEN, sla_due_at=NOW), actor=ME)
    page = repo.query(Query(due_before=NOW + timedelta(minutes=30)))
    assert [t.key for t in page.tickets] == [soon.key]


# --- full-text search ----------------------------------------------------------------


def _search(repo: SqlRepository, text: str) -> list[str]:
    return [t.key for t in repo.query(Query(text=text, sort=SortKey.KEY)).tickets]


def test_search_finds_subject_description_and_comments(repo: SqlRepository) -> None:
    fire = repo.create(
        make_ticket(1, subject="Printer on fire", description="The office copier smokes"),
        actor=ME,
        comment=note("Replaced the toner cartridge"),
    )
    other = repo.create(make_ticket(2, subject="VPN drops", description="Café wifi"), actor=ME)
    assert _search(repo, "printer") == [fire.key]
    assert _search(repo, "PRINTER") == [fire.key]
    assert _search(repo, "copier") == [fire.key]
    assert _search(repo, "toner") == [fire.key]
    assert _search(repo, "cartr") == [fire.key]  # every word is a prefix
    assert _search(repo, "fire printer") == [fire.key]  # all words must match
    assert _search(repo, "fire vpn") == []
    assert _search(repo, "cafe") == [other.key]  # diacritics folded
    assert _search(repo, "   ") == [fire.key, other.key]  # no words: no filter
    # A reply added later is found, and a subject change re-indexes the ticket.
    fire = repo.apply(change(fire, comment=note("Ordered a new fuser unit")))
    assert _search(repo, "fuser") == [fire.key]
    fire = repo.apply(change(fire, fields={"subject": "Scanner jam", "description": "x"}))
    assert _search(repo, "printer") == []
    assert _search(repo, "scanner") == [fire.key]
    assert _search(repo, "toner") == [fire.key]  # comments still indexed
    assert repo.query(Query(text="toner")).total == 1


def test_search_combines_with_filters_and_counts(repo: SqlRepository) -> None:
    for n in range(12):
        status = Status.OPEN if n % 3 else Status.CLOSED
        repo.create(make_ticket(n, subject=f"outage number {n}", status=status), actor=ME)
    page = repo.query(Query(text="outage", statuses=ACTIVE_STATUSES, limit=5))
    assert page.total == 8
    assert len(page.tickets) == 5
    assert all(t.status is Status.OPEN for t in page.tickets)


HOSTILE = [
    '"',
    '""',
    "AND(",
    "*",
    "-",
    "- -x",
    "NEAR(a b)",
    "a OR",
    "NOT",
    "(((",
    "^start",
    "subject:printer",
    "col:",
    "'",
    "\\",
    "%",
    "_",
    "a_b",
    "😀",
    "ü",
    "中文字",
    "a\"b'c",
    "\x00",
    "{}[]",
    "printer*",
    "**",
    "a" * 5000,
    "word " * 100,
    "İstanbul ǅemal ﬁle",
    "٣٤٥ १२३",
    "\u0301\u0301",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_search_text_never_raises(repo: SqlRepository, text: str) -> None:
    repo.create(make_ticket(1, subject="printer a_b 中文字 ü"), actor=ME)
    page = repo.query(Query(text=text))
    assert page.total == len(page.tickets) <= 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=40))
def test_any_search_text_never_raises(repo: SqlRepository, text: str) -> None:
    page = repo.query(Query(text=text, statuses=ACTIVE_STATUSES))
    assert page.total >= 0


# --- optimistic concurrency ----------------------------------------------------------


def test_stale_write_is_a_conflict_naming_changed_fields_and_writes_nothing(
    repo: SqlRepository,
) -> None:
    opened = repo.create(make_ticket(), actor=ME)
    repo.apply(change(opened, fields={"status": Status.OPEN, "priority": Priority.HIGH}))
    current = repo.apply(
        Change(opened.key, 2, "bob", NOW + timedelta(minutes=9), comment=note("looking"))
    )
    history = repo.history(opened.key)
    token = repo.change_token()
    with pytest.raises(ConflictError) as caught:
        repo.apply(
            change(
                opened,
                fields={"subject": "mine", "priority": Priority.LOW},
                comment=note("my comment"),
                events=[("x", "y")],
            )
        )
    error = caught.value
    assert error.changed_fields == ("status", "priority", "note")
    assert error.base_version == 1
    assert error.current == current
    assert error.current.version == 3
    assert repo.get(opened.key) == current
    assert repo.history(opened.key) == history
    assert [c.body for c in repo.comments(opened.key)] == ["looking"]
    assert repo.change_token() == token


def test_only_one_of_many_simultaneous_writers_on_one_version_wins(
    repo: SqlRepository,
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    barrier = threading.Barrier(6)
    results: list[str] = []

    def write(n: int) -> None:
        barrier.wait()
        try:
            repo.apply(change(ticket, fields={"subject": f"by {n}"}))
            results.append("ok")
        except ConflictError:
            results.append("conflict")
        except StoreError as exc:  # pragma: no cover - the failure we test against
            results.append(f"error: {exc}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    assert repo.get(ticket.key).version == 2


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


# --- audit ---------------------------------------------------------------------------


def test_one_audit_entry_per_changed_visible_field_in_the_same_version(
    repo: SqlRepository,
) -> None:
    ticket = repo.create(make_ticket(subject="Same"), actor=ME)
    at = NOW + timedelta(minutes=5)
    updated = repo.apply(
        change(
            ticket,
            fields={
                "subject": "Same",  # unchanged: no entry
                "status": Status.OPEN,
                "priority": "high",  # values may come as their strings
                "watchers": ["bob", "carol"],
                "environment": Environment.PRODUCTION,
                "first_response_at": at,  # a status timestamp: audited
                "sla_due_at": at + timedelta(hours=4),  # derived: not audited
                "sla_flags": ("response:met",),
                "pauses": (PauseInterval(at, None, Status.PENDING),),
                "last_public_update_at": at,
            },
            reason="triage",
        )
    )
    assert updated.version == 2
    assert updated.updated_at == at
    assert updated.priority is Priority.HIGH
    entries = repo.history(ticket.key)[1:]
    assert [(e.field, e.old, e.new) for e in entries] == [
        ("status", "new", "open"),
        ("priority", "medium", "high"),
        ("watchers", "", "bob,carol"),
        ("environment", None, "production"),
        ("first_response_at", None, at.isoformat()),
    ]
    assert {(e.actor, e.reason, e.version, e.at) for e in entries} == {(ME, "triage", 2, at)}
    assert repo.get(ticket.key) == updated
    assert repo.query(Query(watcher="carol")).total == 1


def test_comment_only_change_bumps_the_version_and_empty_change_does_not(
    repo: SqlRepository,
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    same = repo.apply(change(ticket, fields={"subject": ticket.subject}))
    assert same == ticket
    replied = repo.apply(
        change(ticket, comment=Comment(CommentKind.REPLY, ME, "on it", NOW), events=[])
    )
    assert replied.version == 2
    assert [(e.field, e.new) for e in repo.history(ticket.key)][1:] == [
        ("reply", str(repo.comments(ticket.key)[0].id))
    ]


def test_events_are_written_as_audit_entries(repo: SqlRepository) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    repo.apply(
        change(ticket, events=[("sla:breached:resolution", "4h target"), ("refused:assign", None)])
    )
    assert [(e.field, e.new, e.version) for e in repo.history(ticket.key)][1:] == [
        ("sla:breached:resolution", "4h target", 2),
        ("refused:assign", None, 2),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"nonsense": 1},
        {"key": "HD-9"},
        {"version": 9},
        {"created_at": NOW},
        {"status": "exploded"},
        {"priority": Status.OPEN},
        {"tier": "2"},
        {"watchers": "bob"},
        {"sla_due_at": datetime(2025, 1, 1)},  # naive: refused, not guessed
        {"subject": None},
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_written(
    repo: SqlRepository, fields: dict[str, object]
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    with pytest.raises(InvalidInput):
        repo.apply(change(ticket, fields=fields, comment=note("x")))
    assert repo.get(ticket.key) == ticket
    assert len(repo.history(ticket.key)) == 1


def test_a_write_failing_half_way_leaves_no_trace(repo: SqlRepository) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    token = repo.change_token()
    # The event name is checked after the ticket row and the comment were written.
    with pytest.raises(InvalidInput):
        repo.apply(
            change(
                ticket,
                fields={"status": Status.OPEN},
                comment=note("half"),
                events=[(42, "not a name")],
            )
        )
    assert repo.get(ticket.key) == ticket
    assert [e.field for e in repo.history(ticket.key)] == ["created"]
    assert repo.comments(ticket.key) == []
    assert repo.change_token() == token


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
    assert sorted(p.name for p in repo.attachments_dir.iterdir()) == [str(ticket.id)]


# --- attachments ---------------------------------------------------------------------


def test_attachments_are_stored_as_files_with_size_and_hash(
    repo: SqlRepository, tmp_path: Path
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "../evil name?.bin"
    source.write_bytes(data)
    updated = repo.apply(
        change(
            ticket,
            comment=note("dump attached"),
            attachments=[
                NewAttachment("../evil name?.bin", source, "application/x-dump"),
                NewAttachment("second.txt", source),
            ],
        )
    )
    assert updated.version == 2
    [comment] = repo.comments(ticket.key)
    first, second = comment.attachments
    assert (first.filename, first.size, first.content_type, first.uploaded_by) == (
        "../evil name?.bin",
        len(data),
        "application/x-dump",
        ME,
    )
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.comment_id == comment.id
    assert first.id is not None and second.id is not None
    path = repo.attachment_path(ticket.key, first.id)
    assert path.read_bytes() == data
    assert repo.attachments_dir.resolve() in path.resolve().parents
    assert not list(repo.attachments_dir.glob(".incoming-*"))
    assert [e.field for e in repo.history(ticket.key)][1:] == ["note", "attachment", "attachment"]
    with pytest.raises(NotFound):
        repo.attachment_path(ticket.key, 999)


def test_too_large_attachment_is_refused_before_anything_is_written(
    repo: SqlRepository, tmp_path: Path
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    small = tmp_path / "small.txt"
    small.write_text("fine")
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:  # sparse: no 90 MB written to disk
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)
    with pytest.raises(InvalidInput, match="at most 90 MB"):
        repo.apply(
            change(
                ticket,
                comment=note("two files"),
                attachments=[NewAttachment("small.txt", small), NewAttachment("huge.bin", huge)],
            )
        )
    assert repo.get(ticket.key) == ticket
    assert repo.comments(ticket.key) == []
    assert not repo.attachments_dir.exists() or not any(repo.attachments_dir.rglob("*"))


def test_missing_attachment_file_is_invalid_input(repo: SqlRepository, tmp_path: Path) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    with pytest.raises(InvalidInput):
        repo.apply(change(ticket, attachments=[NewAttachment("x", tmp_path / "nope")]))


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
    monkeypatch.setattr(sql, "BATCH_SIZE", 4)  # several batches
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
    monkeypatch.setattr(sql, "BATCH_SIZE", 3)
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


def test_sqlite_search_index_stays_consistent(repo: SqlRepository, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("FTS5 integrity check")
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
