"""RtRepository against a real Request Tracker 5 (Debian's packages, see rt_server.py).

The same protocol the SQL store's tests exercise: create/get, paging, counts, filters and
sorts against plain Python, full-text search, audit, conflicts, comments and history; then
what only a remote store has: one request per queue page, caching, conditional requests,
If-Match, and every way the server can fail. No recorded responses: the misbehaving
servers below are real local HTTP servers (a proxy in front of RT, or one that fails).
"""

from __future__ import annotations

import http.server
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from helpdesk_tui.domain.model import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    Agent,
    Channel,
    Comment,
    CommentKind,
    Environment,
    Escalation,
    PauseInterval,
    Priority,
    Status,
    Team,
    Ticket,
    TicketType,
)
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
from helpdesk_tui.store.rt import (
    RtAuthError,
    RtBadResponse,
    RtConfig,
    RtForbidden,
    RtRepository,
    RtServerError,
    RtTimeout,
    RtUnsupported,
)

from .rt_server import RtServer, free_port, rt_server  # noqa: F401  (the session fixture)

ME = "me"
NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def repo(rt_server: RtServer) -> Iterator[RtRepository]:  # noqa: F811
    """A repository on three fresh queues of its own: an empty store for each test."""
    repository = rt_server.repository()
    try:
        yield repository
    finally:
        repository.close()


def make_ticket(n: int = 1, **changes: Any) -> Ticket:
    created = NOW - timedelta(hours=n)
    base = Ticket(
        key="",
        subject=f"Ticket number {n}",
        description="Something is broken",
        requester_name="Ada Customer",
        requester_email="ada@example.com",
        organization="acme",
        created_at=created,
        updated_at=created,
    )
    return base.with_changes(**changes)


def change(ticket: Ticket, minutes: int = 5, **kw: Any) -> Change:
    return Change(
        key=ticket.key,
        base_version=ticket.version,
        actor=ME,
        at=NOW + timedelta(minutes=minutes),
        **kw,
    )


def note(body: str) -> Comment:
    return Comment(CommentKind.NOTE, ME, body, NOW)


# --- basics --------------------------------------------------------------------------


def test_is_a_ticket_repository_that_says_what_rt_cannot_do(repo: RtRepository) -> None:
    assert isinstance(repo, TicketRepository)
    assert repo.capabilities == {
        Capability.FULL_TEXT,
        Capability.WATCHERS,
        Capability.CSAT,
        Capability.LIVE_CHANGES,
    }
    assert repo.key_prefix == "HD"
    for refused in (
        lambda: repo.purge(NOW, ME, NOW, dry_run=True),
        lambda: repo.bulk_import([(make_ticket(), [])]),
        lambda: repo.save_agent(Agent("x", "X")),
        lambda: repo.save_team(Team("net")),
        lambda: repo.attachment_path("HD-1", 1),
    ):
        with pytest.raises(RtUnsupported):
            refused()


def test_create_assigns_key_and_version_and_writes_created_entry(repo: RtRepository) -> None:
    first = repo.create(make_ticket(1), actor="alice")
    second = repo.create(make_ticket(2), actor="alice", comment=note("first words"))
    assert first.key == f"HD-{first.id}" and first.version == 1
    assert second.id is not None and first.id is not None and second.id > first.id
    entries = repo.history(second.key)
    assert [(e.field, e.actor, e.version) for e in entries] == [
        ("created", "alice", 1),
        ("note", "alice", 1),
    ]
    [comment] = repo.comments(second.key)
    assert (comment.body, comment.author, comment.kind) == (
        "first words",
        "alice",
        CommentKind.NOTE,
    )
    assert entries[1].new == str(comment.id)
    assert repo.get(second.key.lower()) == second  # keys are found whatever their case


def test_every_field_round_trips_through_rt(repo: RtRepository) -> None:
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
        updated_at=NOW - timedelta(days=2),
        first_response_at=NOW - timedelta(days=1, hours=23, microseconds=7),
        last_public_update_at=NOW - timedelta(hours=3),
        last_customer_reply_at=NOW - timedelta(hours=4),
        pauses=(pause, PauseInterval(NOW - timedelta(minutes=30), None, Status.ON_HOLD)),
        escalation=Escalation.AWAITING_LEAD,
        escalation_reason="customer disputes",
        escalated_by="bob",
        escalated_at=NOW - timedelta(hours=5),
        escalated_from_tier=2,
        follow_up_of="HD-0",
        csat_score=4,
        csat_comment="fine",
        sla_due_at=NOW + timedelta(minutes=3, microseconds=5),
        sla_risk_at=NOW,
        sla_flags=("response:breached",),
    )
    stored = repo.create(ticket, actor="alice")
    # RT keeps its own clock for LastUpdated; everything else is ours, to the microsecond.
    assert stored.updated_at > NOW
    assert stored == replace(
        ticket, key=stored.key, id=stored.id, version=1, updated_at=stored.updated_at
    )
    assert repo.get(stored.key) == stored
    assert repo.query(Query()).tickets == [stored]


def test_unknown_keys_are_not_found(repo: RtRepository, rt_server: RtServer) -> None:  # noqa: F811
    with pytest.raises(NotFound):
        repo.get("HD-99999")
    with pytest.raises(NotFound):
        repo.get("XY-1")  # another prefix is another store
    with pytest.raises(NotFound):
        repo.history("HD-99999")
    with pytest.raises(NotFound):
        repo.comments("HD-99999")
    # A ticket in a queue this store is not configured for is not one of its tickets.
    other = rt_server.repository()
    try:
        elsewhere = other.create(make_ticket(), actor=ME)
    finally:
        other.close()
    with pytest.raises(NotFound):
        repo.get(elsewhere.key)


def test_change_token_moves_on_every_write(repo: RtRepository) -> None:
    tokens = [repo.change_token()]
    ticket = repo.create(make_ticket(), actor=ME)
    tokens.append(repo.change_token())
    repo.apply(change(ticket, fields={"priority": Priority.HIGH}))
    tokens.append(repo.change_token())
    assert len(set(tokens)) == 3
    assert repo.change_token() == tokens[-1]


# --- queue views: filters, sorts, pages and counts done by RT ------------------------

PEOPLE = (ME, "bob", "carol", None)


@pytest.fixture(scope="module")
def dataset(rt_server: RtServer) -> Iterator[tuple[RtRepository, list[Ticket]]]:  # noqa: F811
    """A seeded mix with ties (same due times) in queues of its own, made once."""
    repository = rt_server.repository(cache_seconds=0)
    rng = random.Random(42)
    dues = [NOW + timedelta(minutes=m) for m in (-90, -10, 10, 45)]
    for n in range(24):
        status = rng.choice(list(Status))
        due = rng.choice([*dues, None]) if status in ACTIVE_STATUSES else None
        repository.create(
            make_ticket(
                n,
                subject=f"Ticket {n}",
                status=status,
                priority=rng.choice(list(Priority)),
                tier=rng.choice([1, 2, 3]),
                assignee=rng.choice(PEOPLE),
                organization=rng.choice(["acme", "globex", None]),
                watchers=tuple(sorted(set(rng.sample([ME, "bob", "carol"], rng.randint(0, 2))))),
                escalation=rng.choice(list(Escalation)),
                created_at=NOW - timedelta(hours=rng.randint(1, 40)),
                closed_at=NOW - timedelta(days=rng.randint(1, 900)) if status.is_final else None,
                sla_due_at=due,
            ),
            actor=ME,
        )
    page = repository.query(Query(sort=SortKey.KEY, limit=100))
    assert page.total == 24
    try:
        yield repository, page.tickets
    finally:
        repository.close()


def _matches(t: Ticket, q: Query) -> bool:
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


VIEWS = {
    "my open": Query(assignees=frozenset({ME}), statuses=ACTIVE_STATUSES),
    "all open": Query(statuses=ACTIVE_STATUSES),
    "unassigned": Query(unassigned=True, statuses=ACTIVE_STATUSES),
    "all closed": Query(statuses=DONE_STATUSES),
    "watching": Query(watcher=ME),
    "breaching soon": Query(due_before=NOW + timedelta(minutes=30), statuses=ACTIVE_STATUSES),
    "by tier": Query(tiers=frozenset({2}), statuses=ACTIVE_STATUSES),
    "everything": Query(),
    "mine or nobody's": Query(assignees=frozenset({ME}), unassigned=True),
    "acme and globex": Query(organizations=frozenset({"acme", "globex"})),
    "critical/high": Query(priorities=frozenset({Priority.CRITICAL, Priority.HIGH})),
    "awaiting": Query(escalations=frozenset({Escalation.AWAITING_LEAD, Escalation.AWAITING_TIER})),
    "not escalated": Query(escalations=frozenset({Escalation.NONE})),
    "created window": Query(
        created_after=NOW - timedelta(hours=30), created_before=NOW - timedelta(hours=10)
    ),
    "closed before": Query(closed_before=NOW - timedelta(days=300)),
}


@pytest.mark.parametrize("view", VIEWS)
def test_views_page_and_count_like_python_would(
    dataset: tuple[RtRepository, list[Ticket]], view: str
) -> None:
    repository, tickets = dataset
    base = VIEWS[view]
    # Each view with one sort (they take turns): RT's searches are slow enough to ration.
    sort = list(SortKey)[list(VIEWS).index(view) % len(SortKey)]
    query = replace(base, sort=sort, descending=len(view) % 2 == 1, limit=5)
    want = _expected(tickets, query)
    assert want or view == "closed before", view
    for offset in (0, 5):
        page = repository.query(query.page(offset))
        assert page.total == len(want), (view, sort)
        assert [t.key for t in page.tickets] == [t.key for t in want[offset : offset + 5]], (
            view,
            sort,
            offset,
        )
    assert repository.count(base) == len(want)


@pytest.mark.parametrize("sort", list(SortKey))
def test_every_sort_both_ways_with_pages_that_straddle_rts_pages(
    dataset: tuple[RtRepository, list[Ticket]], sort: SortKey
) -> None:
    repository, tickets = dataset
    for descending in (False, True):
        query = Query(sort=sort, descending=descending, limit=7)
        want = _expected(tickets, query)
        for offset in (0, 17):  # 17..23 is no page of 7: RT is asked for one that holds it
            page = repository.query(query.page(offset))
            assert [t.key for t in page.tickets] == [t.key for t in want[offset : offset + 7]], (
                sort,
                descending,
                offset,
            )


def test_a_page_past_the_end_is_empty_with_the_total(
    dataset: tuple[RtRepository, list[Ticket]],
) -> None:
    repository, _tickets = dataset
    page = repository.query(Query(offset=500, limit=50))
    assert (page.tickets, page.total, page.offset) == ([], 24, 500)


def test_sla_sort_puts_paused_clocks_last_both_ways(repo: RtRepository) -> None:
    dues = [NOW + timedelta(minutes=5), None, NOW - timedelta(minutes=5), None]
    for n, due in enumerate(dues):
        repo.create(make_ticket(n, status=Status.OPEN, sla_due_at=due), actor=ME)
    up = repo.query(Query(statuses=ACTIVE_STATUSES))
    down = repo.query(Query(statuses=ACTIVE_STATUSES, descending=True))
    assert [t.sla_due_at for t in up.tickets] == [dues[2], dues[0], None, None]
    assert [t.sla_due_at for t in down.tickets] == [dues[0], dues[2], None, None]


def test_organizations_none_means_all_and_empty_means_none(repo: RtRepository) -> None:
    repo.create(make_ticket(1, organization="acme"), actor=ME)
    repo.create(make_ticket(2, organization="globex"), actor=ME)
    repo.create(make_ticket(3, organization=None), actor=ME)
    assert repo.query(Query(organizations=None)).total == 3
    assert repo.query(Query(organizations=frozenset())).total == 0
    assert repo.count(Query(organizations=frozenset({"acme"}))) == 1


def test_due_before_never_matches_a_paused_clock(repo: RtRepository) -> None:
    repo.create(make_ticket(1, status=Status.PENDING, sla_due_at=None), actor=ME)
    soon = repo.create(make_ticket(2, status=Status.OPEN, sla_due_at=NOW), actor=ME)
    page = repo.query(Query(due_before=NOW + timedelta(minutes=30)))
    assert [t.key for t in page.tickets] == [soon.key]


# --- full-text search ----------------------------------------------------------------


def _search(repo: RtRepository, text: str) -> list[str]:
    return [t.key for t in repo.query(Query(text=text, sort=SortKey.KEY)).tickets]


def test_search_finds_subject_description_and_comments(repo: RtRepository) -> None:
    fire = repo.create(
        make_ticket(1, subject="Printer on fire", description="The office copier smokes"),
        actor=ME,
        comment=note("Replaced the toner cartridge"),
    )
    other = repo.create(make_ticket(2, subject="VPN drops", description="wifi"), actor=ME)
    assert _search(repo, "printer") == [fire.key]
    assert _search(repo, "PRINTER") == [fire.key]
    assert _search(repo, "copier") == [fire.key]
    assert _search(repo, "toner") == [fire.key]
    assert _search(repo, "fire printer") == [fire.key]
    assert _search(repo, "fire vpn") == []
    assert _search(repo, "   ") == [fire.key, other.key]
    fire = repo.apply(change(fire, comment=note("Ordered a new fuser unit")))
    assert _search(repo, "fuser") == [fire.key]


@pytest.mark.parametrize(
    "text",
    ['"', "'", "\\", "%", "_", "a_b", "AND(", "OR 1=1 --", "😀", "中文字", "\x00", "a" * 3000],
)
def test_hostile_search_text_never_raises(repo: RtRepository, text: str) -> None:
    repo.create(make_ticket(1, subject="printer a_b 中文字 ü"), actor=ME)
    page = repo.query(Query(text=text))
    assert page.total == len(page.tickets) <= 1


# --- writes, audit and conflicts -------------------------------------------------------


def test_one_audit_entry_per_changed_visible_field_in_the_same_version(
    repo: RtRepository,
) -> None:
    ticket = repo.create(make_ticket(subject="Same"), actor=ME)
    at = NOW + timedelta(minutes=5)
    updated = repo.apply(
        change(
            ticket,
            fields={
                "subject": "Same",
                "status": Status.OPEN,
                "priority": "high",
                "watchers": ["bob", "carol"],
                "environment": Environment.PRODUCTION,
                "first_response_at": at,
                "sla_due_at": at + timedelta(hours=4),
                "sla_flags": ("response:met",),
                "pauses": (PauseInterval(at, None, Status.PENDING),),
                "last_public_update_at": at,
                "tier": 2,
                "assignee": "bob",
            },
            reason="triage",
        )
    )
    assert updated.version == 2
    assert (updated.priority, updated.status, updated.tier, updated.assignee) == (
        Priority.HIGH,
        Status.OPEN,
        2,
        "bob",
    )
    entries = repo.history(ticket.key)[1:]
    assert [(e.field, e.old, e.new) for e in entries] == [
        ("status", "new", "open"),
        ("priority", "medium", "high"),
        ("watchers", "", "bob,carol"),
        ("environment", None, "production"),
        ("first_response_at", None, at.isoformat()),
        ("tier", "1", "2"),
        ("assignee", None, "bob"),
    ]
    assert {(e.actor, e.reason, e.version) for e in entries} == {(ME, "triage", 2)}
    assert repo.get(ticket.key) == updated
    assert repo.query(Query(watcher="carol")).total == 1


def test_reply_with_status_and_events_in_one_write(repo: RtRepository) -> None:
    ticket = repo.create(make_ticket(status=Status.OPEN), actor=ME)
    replied = repo.apply(
        change(
            ticket,
            fields={"status": Status.RESOLVED},
            comment=Comment(CommentKind.REPLY, ME, "fixed: restarted the gateway", NOW),
            events=[("sla:breached:resolution", "4h target")],
        )
    )
    assert (replied.version, replied.status) == (2, Status.RESOLVED)  # RT's auto-open lost
    assert [(e.field, e.new) for e in repo.history(ticket.key)][1:] == [
        ("status", "resolved"),
        ("sla:breached:resolution", "4h target"),
        ("reply", str(repo.comments(ticket.key)[0].id)),
    ]
    [reply] = repo.comments(ticket.key)
    assert (reply.kind, reply.body, reply.author) == (
        CommentKind.REPLY,
        "fixed: restarted the gateway",
        ME,
    )


def test_customer_reply_is_marked_as_the_customers(repo: RtRepository) -> None:
    ticket = repo.create(make_ticket(status=Status.PENDING), actor=ME)
    from_them = Comment(CommentKind.REPLY, "ada@example.com", "still broken", NOW, True)
    repo.apply(change(ticket, fields={"status": Status.OPEN}, comment=from_them))
    [comment] = repo.comments(ticket.key)
    assert (comment.author, comment.from_customer) == ("ada@example.com", True)


def test_comment_only_change_bumps_the_version_and_empty_change_does_not(
    repo: RtRepository,
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    assert repo.apply(change(ticket, fields={"subject": ticket.subject})) == ticket
    replied = repo.apply(change(ticket, comment=Comment(CommentKind.REPLY, ME, "on it", NOW)))
    assert replied.version == 2


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
        {"sla_due_at": datetime(2025, 1, 1)},
        {"subject": None},
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_written(
    repo: RtRepository, fields: dict[str, object]
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    token = repo.change_token()
    with pytest.raises(InvalidInput):
        repo.apply(change(ticket, fields=fields, comment=note("x")))
    assert repo.get(ticket.key) == ticket
    assert repo.change_token() == token


def test_an_unknown_assignee_is_refused_before_anything_is_written(repo: RtRepository) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    with pytest.raises(StoreError, match="assignee"):
        repo.apply(change(ticket, fields={"assignee": "nobody-such"}))


def test_stale_write_is_a_conflict_naming_changed_fields_and_writes_nothing(
    repo: RtRepository,
) -> None:
    opened = repo.create(make_ticket(), actor=ME)
    repo.apply(change(opened, fields={"status": Status.OPEN, "priority": Priority.HIGH}))
    current = repo.apply(Change(opened.key, 2, "bob", NOW, comment=note("looking")))
    history = repo.history(opened.key)
    token = repo.change_token()
    with pytest.raises(ConflictError) as caught:
        repo.apply(change(opened, fields={"subject": "mine"}, comment=note("my comment")))
    error = caught.value
    assert error.changed_fields == ("status", "priority", "note")
    assert (error.base_version, error.current) == (1, current)
    assert repo.history(opened.key) == history
    assert [c.body for c in repo.comments(opened.key)] == ["looking"]
    assert repo.change_token() == token


def test_a_write_in_rt_itself_since_the_agent_read_is_a_conflict(
    repo: RtRepository,
    rt_server: RtServer,  # noqa: F811
) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    seen = repo.get(ticket.key)
    # Somebody changes the ticket in RT's own UI (here: through REST2 as root).
    rt_server.rest("PUT", f"ticket/{ticket.id}", {"Subject": "changed in RT"})
    with pytest.raises(ConflictError) as caught:
        repo.apply(change(seen, fields={"priority": Priority.LOW}))
    assert caught.value.changed_fields == ("subject",)
    assert caught.value.current.subject == "changed in RT"
    assert repo.get(ticket.key).priority is Priority.MEDIUM
    # The agent has now seen their change: a retry on what they see goes through.
    retried = repo.apply(change(caught.value.current, fields={"priority": Priority.LOW}))
    assert retried.priority is Priority.LOW and retried.subject == "changed in RT"


def test_only_one_of_many_simultaneous_writers_on_one_version_wins(repo: RtRepository) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def write(n: int) -> None:
        barrier.wait()
        try:
            repo.apply(change(ticket, fields={"subject": f"by {n}"}))
            results.append("ok")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict"] * 3 + ["ok"]
    assert repo.get(ticket.key).version == 2


# --- agents --------------------------------------------------------------------------


def test_agents_are_rts_privileged_users(repo: RtRepository) -> None:
    names = [a.username for a in repo.agents()]
    assert {"root", ME, "bob", "carol"} <= set(names)
    assert repo.get_agent("bob").email == "bob@helpdesk.test"
    with pytest.raises(NotFound):
        repo.get_agent("nobody-such")


# --- the remote store's own promises ---------------------------------------------------


def test_a_queue_page_is_one_search_request_cached_until_something_changes(
    repo: RtRepository,
) -> None:
    made = [repo.create(make_ticket(n, status=Status.OPEN), actor=ME) for n in range(3)]
    query = Query(statuses=ACTIVE_STATUSES, limit=50)
    before = repo.requests
    page = repo.query(query)
    assert (page.total, repo.requests - before) == (3, 1)
    repo.query(query)
    assert repo.requests - before == 1  # served from the cache
    token = repo.change_token()
    repo.query(query)
    assert repo.requests - before == 2  # the poll itself; nothing changed, still cached
    repo.apply(change(made[0], fields={"priority": Priority.HIGH}))
    assert repo.change_token() != token
    before = repo.requests
    assert repo.query(query).tickets[0].priority is Priority.HIGH
    assert repo.requests - before == 1


def test_single_tickets_are_revalidated_with_if_none_match(repo: RtRepository) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    first = repo.revalidated
    assert repo.get(ticket.key) == ticket
    assert repo.get(ticket.key) == ticket
    assert repo.revalidated == first + 2  # 304 Not Modified, twice


# --- failures: each a one-line StoreError without the token ---------------------------

SECRET = "1-14-0123456789abcdef0123456789abcdef"


def _config(url: str, **changes: Any) -> RtConfig:
    return RtConfig(url=url, queues={"Tier 1": 1}, key_prefix="HD", **changes)


def _one_line_without_secret(exc: BaseException, token: str = SECRET) -> str:
    text = str(exc)
    assert "\n" not in text and token not in text and token not in repr(exc)
    assert len(text) < 300
    return text


def test_unreachable_server(tmp_path: Any) -> None:
    port = free_port()  # bound and closed again: nothing listens there
    with pytest.raises(StoreUnavailable) as caught:
        RtRepository.open(_config(f"http://127.0.0.1:{port}"), SECRET)
    text = _one_line_without_secret(caught.value)
    assert f"127.0.0.1:{port}" in text and "refused" in text


def test_wrong_token_is_401(rt_server: RtServer) -> None:  # noqa: F811
    with pytest.raises(RtAuthError) as caught:
        RtRepository.open(_config(rt_server.url), SECRET)
    assert "401" in _one_line_without_secret(caught.value)
    assert "helpdesk-tui login" in str(caught.value)


def test_missing_rights_is_403(rt_server: RtServer) -> None:  # noqa: F811
    queues = rt_server.create_queues()
    rt_server.create_user("viewer", privileged=False)
    token = rt_server.token_for("viewer")
    # An unprivileged user sees no queue: the store says which one it cannot use.
    with pytest.raises(StoreUnavailable, match="has no queue"):
        RtRepository.open(rt_server.config(queues), token)
    repo = RtRepository(rt_server.config(queues), token)
    repo._queue_ids = {name: 0 for name in queues}  # as if it had opened
    with pytest.raises(RtForbidden) as caught:
        repo.create(make_ticket(), actor="viewer")
    assert "403" in _one_line_without_secret(caught.value, token)
    repo.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    behave: Callable[[_Handler], None]

    def do_GET(self) -> None:
        type(self).behave(self)

    do_PUT = do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bad_server() -> Iterator[Callable[[Callable[[_Handler], None]], str]]:
    """A real local HTTP server that misbehaves as told."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(behave: Callable[[_Handler], None]) -> str:
        handler = type("Handler", (_Handler,), {"behave": staticmethod(behave)})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _reply(status: int, body: bytes, kind: str = "application/json") -> Callable[[_Handler], None]:
    def behave(h: _Handler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return behave


def test_server_error_is_5xx(bad_server: Any) -> None:
    url = bad_server(_reply(502, b"<html>Bad gateway\n\n</html>", "text/html"))
    with pytest.raises(RtServerError) as caught:
        RtRepository.open(_config(url), SECRET)
    assert "502" in _one_line_without_secret(caught.value)


def test_malformed_json(bad_server: Any) -> None:
    url = bad_server(_reply(200, b'{"Version": "5.0.3", oops'))
    with pytest.raises(RtBadResponse) as caught:
        RtRepository.open(_config(url), SECRET)
    assert "malformed JSON" in _one_line_without_secret(caught.value)


def test_timeout(bad_server: Any) -> None:
    def slow(h: _Handler) -> None:
        time.sleep(3)
        _reply(200, b"{}")(h)

    url = bad_server(slow)
    started = time.monotonic()
    with pytest.raises(RtTimeout) as caught:
        RtRepository.open(_config(url, timeout=0.5), SECRET)
    assert time.monotonic() - started < 2.5
    assert "did not answer within 0.5 s" in _one_line_without_secret(caught.value)


def test_tls_is_verified_unless_the_config_says_not(bad_server: Any) -> None:
    url = bad_server(_reply(200, b"{}")).replace("http://", "https://")
    with pytest.raises(StoreUnavailable) as caught:
        RtRepository.open(_config(url), SECRET)
    _one_line_without_secret(caught.value)
    assert RtRepository(_config(url), SECRET)._client._transport is not None
    assert _config(url).verify_tls is True and _config(url, verify_tls=False).verify_tls is False


def test_the_token_is_in_no_repr_and_no_error(rt_server: RtServer) -> None:  # noqa: F811
    repo = RtRepository(_config(rt_server.url), SECRET)
    assert SECRET not in repr(repo) and SECRET not in repr(repo._client.auth)
    repo.close()


@pytest.fixture
def proxy(rt_server: RtServer) -> Iterator[tuple[str, dict[str, Any]]]:  # noqa: F811
    """A real forwarding proxy in front of RT whose `hooks` can break one request kind."""
    hooks: dict[str, Any] = {}

    class Proxy(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            hook = hooks.get(f"{self.command} {self.path.split('?')[0].split('/')[-1]}")
            if hook is not None and hook(self) is True:
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
            response = httpx.request(
                self.command, rt_server.url + self.path, headers=headers, content=body, timeout=60
            )
            self.send_response(response.status_code)
            for name in ("Content-Type", "ETag"):
                if name in response.headers:
                    self.send_header(name, response.headers[name])
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        do_GET = do_PUT = do_POST = _forward

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hooks
    finally:
        server.shutdown()
        server.server_close()


def test_rt_refusing_if_match_with_412_is_a_conflict_and_writes_nothing(
    rt_server: RtServer,  # noqa: F811
    proxy: tuple[str, dict[str, Any]],
) -> None:
    url, hooks = proxy
    queues = rt_server.create_queues()
    repo = RtRepository.open(replace(rt_server.config(queues), url=url), rt_server.token)
    ticket = repo.create(make_ticket(), actor=ME)

    def race(handler: Any) -> bool:
        # Another writer gets in between our read and our write.
        hooks.clear()
        rt_server.rest("PUT", f"ticket/{ticket.id}", {"Subject": "their subject"})
        return False

    hooks[f"PUT {ticket.id}"] = race
    with pytest.raises(ConflictError) as caught:
        repo.apply(change(ticket, fields={"priority": Priority.LOW}, comment=note("mine")))
    assert caught.value.changed_fields == ("subject",)
    stored = repo.get(ticket.key)
    assert (stored.subject, stored.priority) == ("their subject", Priority.MEDIUM)
    assert repo.comments(ticket.key) == []
    repo.close()


def test_a_reply_that_fails_to_post_is_never_silently_lost(
    rt_server: RtServer,  # noqa: F811
    proxy: tuple[str, dict[str, Any]],
) -> None:
    url, hooks = proxy
    queues = rt_server.create_queues()
    repo = RtRepository.open(replace(rt_server.config(queues), url=url), rt_server.token)
    ticket = repo.create(make_ticket(status=Status.OPEN), actor=ME)
    hooks["POST correspond"] = lambda h: _reply(503, b'{"message": "down"}')(h) or True
    with pytest.raises(StoreUnavailable, match="reply was NOT posted") as caught:
        repo.apply(
            change(
                ticket,
                fields={"status": Status.PENDING},
                comment=Comment(CommentKind.REPLY, ME, "please confirm", NOW),
            )
        )
    _one_line_without_secret(caught.value, rt_server.token)
    assert repo.comments(ticket.key) == []
    repo.close()


def test_new_attachments_are_refused_not_dropped(repo: RtRepository, tmp_path: Any) -> None:
    ticket = repo.create(make_ticket(), actor=ME)
    source = tmp_path / "log.txt"
    source.write_text("x")
    with pytest.raises(RtUnsupported):
        repo.apply(
            change(ticket, comment=note("see log"), attachments=[NewAttachment("log.txt", source)])
        )
    assert repo.comments(ticket.key) == []


def test_closed_port_is_really_closed() -> None:
    port = free_port()
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(1)
        sock.connect(("127.0.0.1", port))
