"""The service on a real SQLite store: rules, derived fields, audit, conflicts, sweep."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.escalation import EscalationError, ReviewDecision
from helpdesk_tui.domain.lifecycle import TransitionError
from helpdesk_tui.domain.model import Agent, Escalation, Priority, Role, Status, Team
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, ServiceError, TicketDraft
from helpdesk_tui.store.base import ConflictError, Query
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SqlRepository]:
    store = SqlRepository.open(tmp_path / "hd.db", tmp_path / "files")
    store.save_agent(Agent("lead", "Lea Lead", tier=3, role=Role.LEAD))
    store.save_agent(Agent("t1", "Tia One", tier=1))
    store.save_agent(Agent("t2", "Tom Two", tier=2))
    store.save_agent(Agent("acme", "Ann Acme", tier=2, organizations=("Acme",)))
    yield store
    store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(FROZEN)


def as_(repo: SqlRepository, who: str, clock: Clock) -> HelpdeskService:
    return HelpdeskService(repo, load_policy("default"), clock, repo.get_agent(who))


def new(svc: HelpdeskService, **kw: object) -> str:
    draft = TicketDraft(subject=str(kw.pop("subject", "VPN drops every hour")), **kw)  # type: ignore[arg-type]
    return svc.create(draft).key


def test_create_sets_sla_columns_and_audit(repo: SqlRepository, clock: Clock) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc, priority=Priority.CRITICAL)
    ticket = repo.get(key)
    assert ticket.key.startswith("HD-") and ticket.status is Status.NEW
    # Critical: first response due 15 minutes after creation, on a 24x7 clock.
    assert ticket.sla_due_at == FROZEN + timedelta(minutes=15)
    assert [h.field for h in repo.history(key)] == ["created"]


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        ({"subject": "   "}, "subject cannot be empty"),
        ({"subject": "\x07"}, "subject cannot be empty"),
        ({"subject": "\u200b \u200b"}, "subject cannot be empty"),
        ({"requester_email": "not-an-address"}, "not an address"),
        ({"tier": 4}, "tier must be 1, 2 or 3"),
        ({"assignee": "ghost"}, "no agent called 'ghost'"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(
    repo: SqlRepository, clock: Clock, draft: dict[str, object], message: str
) -> None:
    svc = as_(repo, "t1", clock)
    with pytest.raises(ServiceError, match=message):
        new(svc, **draft)
    assert repo.count(Query()) == 0


def test_first_reply_opens_and_stops_first_response_clock(
    repo: SqlRepository, clock: Clock
) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc, priority=Priority.HIGH)
    clock.at += timedelta(minutes=20)
    t = svc.take(key, repo.get(key).version)
    t = svc.reply(key, t.version, "We are looking into it.")
    assert t.status is Status.OPEN
    assert t.first_response_at == clock.at
    first = next(s for s in svc.sla(t) if s.kind.value == "first_response")
    assert first.state.value == "met"
    fields = [h.field for h in repo.history(key)]
    assert fields.count("reply") == 1 and "status" in fields and "assignee" in fields


def test_pending_pauses_and_customer_reply_reopens(repo: SqlRepository, clock: Clock) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc)
    t = svc.take(key, 1)
    t = svc.reply(key, t.version, "Could you send the logs?", status=Status.PENDING)
    assert t.status is Status.PENDING and t.sla_due_at is None  # paused: no due time
    clock.at += timedelta(hours=3)
    t = svc.customer_reply(key, "Here they are.")
    assert t.status is Status.OPEN
    assert t.pauses[-1].end == clock.at and t.sla_due_at is not None


def test_resolve_requires_reply_and_closed_is_final(repo: SqlRepository, clock: Clock) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc)
    t = svc.take(key, 1)
    with pytest.raises(TransitionError, match="public reply"):
        svc.set_status(key, t.version, Status.RESOLVED)
    t = svc.reply(key, t.version, "Fixed by restarting the agent.", status=Status.RESOLVED)
    assert t.resolved_at == clock.at
    t = svc.set_status(key, t.version, Status.CLOSED)
    with pytest.raises(TransitionError, match="final"):
        svc.set_status(key, t.version, Status.OPEN)
    # Nor does the customer hear about it again; a note for the record is still taken.
    with pytest.raises(TransitionError, match="final: write to the customer in a new ticket"):
        svc.reply(key, t.version, "One more thing.")
    assert repo.get(key) == t
    assert svc.note(key, t.version, "Customer called to say thanks.").version == t.version + 1


def test_stale_version_is_a_conflict_naming_fields(repo: SqlRepository, clock: Clock) -> None:
    mine = as_(repo, "lead", clock)
    key = new(mine)
    base = repo.get(key).version
    mine.update(key, base, priority=Priority.HIGH)
    with pytest.raises(ConflictError) as caught:
        mine.update(key, base, priority=Priority.LOW)
    assert "priority" in caught.value.changed_fields
    assert repo.get(key).priority is Priority.HIGH


def test_escalation_round_trip_with_audit(repo: SqlRepository, clock: Clock) -> None:
    t1 = as_(repo, "t1", clock)
    key = new(t1)
    t = t1.take(key, 1)
    t = t1.escalate(key, t.version, 2, "needs log analysis")
    assert (t.tier, t.assignee, t.escalation) == (2, None, Escalation.AWAITING_TIER)
    with pytest.raises(AccessDenied):
        t1.take(key, t.version)  # a tier-1 agent cannot hold a tier-2 ticket
    t2 = as_(repo, "t2", clock)
    t = t2.decide(key, t.version, ReviewDecision.DECLINE, "known issue, tier 1 can answer")
    assert (t.tier, t.assignee) == (1, "t1")
    reasons = [h.reason for h in repo.history(key) if h.field == "tier"]
    assert reasons == ["needs log analysis", "known issue, tier 1 can answer"]


def test_lead_review_only_leads_decide(repo: SqlRepository, clock: Clock) -> None:
    t1 = as_(repo, "t1", clock)
    key = new(t1)
    t = t1.take(key, 1)
    t = t1.request_review(key, t.version, "customer disputes the outcome")
    with pytest.raises(AccessDenied, match="only a lead"):
        t1.decide(key, t.version, ReviewDecision.ACCEPT)
    lead = as_(repo, "lead", clock)
    t = lead.decide(key, t.version, ReviewDecision.REASSIGN, assignee="t2")
    assert t.assignee == "t2" and t.escalation is Escalation.NONE
    assert any(h.field == "decision:reassign" for h in repo.history(key))


def test_organizations_scope_what_an_agent_sees(repo: SqlRepository, clock: Clock) -> None:
    lead = as_(repo, "lead", clock)
    new(lead, organization="Acme")
    other = new(lead, organization="Globex")
    acme = as_(repo, "acme", clock)
    assert acme.query(Query()).total == 1
    with pytest.raises(AccessDenied, match=f"{other} is outside the organizations acme serves"):
        acme.get(other)


def test_csat_only_after_resolution(repo: SqlRepository, clock: Clock) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc)
    t = svc.take(key, 1)
    with pytest.raises(ServiceError, match="on resolution"):
        svc.record_csat(key, t.version, 5)
    t = svc.reply(key, t.version, "Done.", status=Status.RESOLVED)
    with pytest.raises(ServiceError, match="1 to 5"):
        svc.record_csat(key, t.version, 6)
    t = svc.record_csat(key, t.version, 4, "quick")
    assert (t.csat_score, t.csat_comment) == (4, "quick")


def test_sweep_acts_once_per_event(repo: SqlRepository, clock: Clock) -> None:
    svc = as_(repo, "lead", clock)
    key = new(svc, priority=Priority.CRITICAL)
    clock.at += timedelta(minutes=12)  # 80 % of the 15-minute first response: at risk
    first = svc.sweep()
    assert (key, "first_response") in first.at_risk
    assert svc.sweep().at_risk == []  # idempotent
    clock.at += timedelta(minutes=10)  # past due: breached
    result = svc.sweep()
    assert (key, "first_response") in result.breached
    assert svc.sweep().breached == []
    events = [h.field for h in repo.history(key) if h.field.startswith("sla:")]
    assert events == ["sla:at_risk:first_response", "sla:breached:first_response"]


def test_attachment_through_service(repo: SqlRepository, clock: Clock, tmp_path: Path) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc)
    t = svc.take(key, 1)
    log = tmp_path / "gateway.log"
    log.write_text("503 at 07:38\n")
    svc.attach(key, t.version, log)
    comment = repo.comments(key)[-1]
    assert comment.attachments[0].filename == "gateway.log"
    stored = repo.attachment_path(key, comment.attachments[0].id or 0)
    assert stored.read_text() == "503 at 07:38\n"
    with pytest.raises(ServiceError, match="no such file"):
        svc.attach(key, repo.get(key).version, tmp_path / "missing.log")


def test_purge_needs_admin(repo: SqlRepository, clock: Clock) -> None:
    with pytest.raises(AccessDenied, match="only an admin"):
        as_(repo, "lead", clock).purge(timedelta(days=730))


def test_escalate_needs_reason(repo: SqlRepository, clock: Clock) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc)
    t = svc.take(key, 1)
    with pytest.raises(EscalationError, match="reason"):
        svc.escalate(key, t.version, 2, "")
    assert repo.get(key).tier == 1


def test_take_next_gives_the_most_urgent_of_my_tier(repo: SqlRepository, clock: Clock) -> None:
    lead = as_(repo, "lead", clock)
    low = new(lead, priority=Priority.LOW)
    urgent = new(lead, priority=Priority.CRITICAL)
    new(lead, priority=Priority.CRITICAL, tier=2)  # not tier 1's
    t1 = as_(repo, "t1", clock)
    assert t1.take_next().key == urgent  # type: ignore[union-attr]
    assert t1.take_next().key == low  # type: ignore[union-attr]
    assert t1.take_next() is None


def test_eight_agents_taking_at_once_never_share_a_ticket(
    repo: SqlRepository, clock: Clock
) -> None:
    import threading

    lead = as_(repo, "lead", clock)
    keys = {new(lead, subject=f"Ticket {n}") for n in range(30)}
    for n in range(8):
        repo.save_agent(Agent(f"agent{n}", f"Agent {n}", tier=1))
    taken: list[tuple[str, str]] = []
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        svc = as_(repo, f"agent{n}", clock)
        barrier.wait()
        while (ticket := svc.take_next()) is not None:
            taken.append((ticket.key, f"agent{n}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(k for k, _ in taken) == sorted(keys)  # each ticket taken exactly once
    for key, agent in taken:
        assert repo.get(key).assignee == agent


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(
    repo: SqlRepository, clock: Clock
) -> None:
    repo.save_agent(Agent("root", "Ro Ot", tier=3, role=Role.ADMIN))
    svc = as_(repo, "root", clock)
    root = repo.get_agent("root")
    for change in ({"active": False}, {"role": Role.LEAD}):
        with pytest.raises(ServiceError, match="last active admin"):
            svc.save_agent(replace(root, **change))  # type: ignore[arg-type]
        assert repo.get_agent("root") == root
    # With a second admin, the first may step down.
    svc.save_agent(replace(repo.get_agent("lead"), role=Role.ADMIN))
    assert svc.save_agent(replace(root, active=False)).active is False
    with pytest.raises(ServiceError, match="last active admin"):
        as_(repo, "lead", clock).save_agent(replace(repo.get_agent("lead"), role=Role.AGENT))


def test_csat_is_recorded_by_who_may_change_the_ticket_and_changed_by_a_lead(
    repo: SqlRepository, clock: Clock
) -> None:
    svc = as_(repo, "t1", clock)
    key = new(svc)
    t = svc.take(key, 1)
    t = svc.reply(key, t.version, "Done.", status=Status.RESOLVED)
    with pytest.raises(AccessDenied, match="held by t1"):
        as_(repo, "t2", clock).record_csat(key, t.version, 1)
    t = svc.record_csat(key, t.version, 2, "slow")
    with pytest.raises(AccessDenied, match="only a lead changes"):
        svc.record_csat(key, t.version, 5, "great")
    assert (repo.get(key).csat_score, repo.get(key).csat_comment) == (2, "slow")
    assert as_(repo, "lead", clock).record_csat(key, t.version, 3).csat_score == 3


def test_only_a_lead_creates_a_ticket_held_by_somebody_else(
    repo: SqlRepository, clock: Clock
) -> None:
    with pytest.raises(AccessDenied, match="only a lead assigns"):
        new(as_(repo, "t1", clock), assignee="t2", tier=2)
    assert repo.count(Query()) == 0
    assert repo.get(new(as_(repo, "t1", clock), assignee="t1")).assignee == "t1"
    assert repo.get(new(as_(repo, "lead", clock), assignee="t2", tier=2)).assignee == "t2"


def test_an_agent_name_a_filter_reads_or_a_case_twin_is_refused(
    repo: SqlRepository, clock: Clock
) -> None:
    repo.save_agent(Agent("root", "Ro Ot", tier=3, role=Role.ADMIN))
    repo.save_team(Team("Platform", "tier 2"))
    admin = as_(repo, "root", clock)
    before = repo.agents()
    for name, said in (
        ("me", "a word the filters read"),
        ("Nobody", "a word the filters read"),
        ("T1", "is 't1' in other letters"),
    ):
        with pytest.raises(ServiceError, match=said):
            admin.save_agent(Agent(name, "Some One", tier=1))
    with pytest.raises(ServiceError, match="no team called 'Nowhere'"):
        admin.save_agent(Agent("kim", "Kim", tier=1, team="Nowhere"))
    with pytest.raises(ServiceError, match="'platform' is 'Platform' in other letters"):
        admin.save_team(Team("platform", ""))
    assert repo.agents() == before and [t.name for t in repo.teams()] == ["Platform"]
    assert admin.save_agent(Agent("kim", "Kim", tier=1, team="Platform")).team == "Platform"
