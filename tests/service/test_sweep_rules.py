"""Breach rules in the sweep, on SQLite and PostgreSQL: a ticket somebody is working
stays with them (the leads and the rule's tier are told), an idle one escalates as
before, a "reassign" policy moves both, and the history credits the policy.

The clock starts at FROZEN (Wednesday 10:30 UTC). A critical ticket's first response is
due in 15 minutes, an update every hour, the resolution in 4 hours; its breach rule is
escalate:tier3. Medium tickets breach to notify:lead, on business hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.model import Agent, CommentKind, Escalation, Priority, Role
from helpdesk_tui.domain.sla import Policy, actor_label
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.service.sweep import Outcome, SweepResult
from helpdesk_tui.settings.policies import parse_text, read_builtin
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN

MINUTE = timedelta(minutes=1)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def repo(store_url: str, tmp_path: Path) -> Iterator[SqlRepository]:
    store = SqlRepository.open(store_url, tmp_path / "files")
    for agent in (
        Agent("ops", "Cron Runner", tier=3, role=Role.ADMIN),
        Agent("lea", "Lea Lead", tier=3, role=Role.LEAD),
        Agent("jon", "Jon Lead", tier=1, role=Role.LEAD),
        Agent("tia", "Tia One", tier=1),
        Agent("bo", "Bo One", tier=1),
        Agent("gus", "Gus Three", tier=3),
        Agent("ana", "Ana Three", tier=3, organizations=("Globex",)),  # not Acme's
        Agent("old", "Old Three", tier=3, active=False),
    ):
        store.save_agent(agent)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(FROZEN)


def as_(
    repo: SqlRepository, who: str, clock: Clock, policy: Policy | None = None
) -> HelpdeskService:
    return HelpdeskService(repo, policy or load_policy("default"), clock, repo.get_agent(who))


def held_p1(repo: SqlRepository, clock: Clock, holder: str = "tia") -> str:
    """A critical Acme ticket `holder` took and answered at once (first response met)."""
    svc = as_(repo, holder, clock)
    key = svc.create(
        TicketDraft(
            subject="Checkout down for everyone", priority=Priority.CRITICAL, organization="Acme"
        )
    ).key
    ticket = svc.take(key, repo.get(key).version)
    clock.at += 5 * MINUTE
    svc.reply(key, ticket.version, "Looking at it now.")
    return key


def note(repo: SqlRepository, clock: Clock, key: str, who: str, at: timedelta) -> None:
    clock.at = FROZEN + at
    as_(repo, who, clock).note(key, repo.get(key).version, "Gateway logs show 502s.")


def sweep_at(
    repo: SqlRepository, clock: Clock, at: timedelta, who: str = "ops", policy: Policy | None = None
) -> SweepResult:
    clock.at = FROZEN + at
    return as_(repo, who, clock, policy).sweep()


def sweep_entries(repo: SqlRepository, key: str) -> list[tuple[str, str]]:
    return [(h.actor, h.field) for h in repo.history(key) if h.at == repo.get(key).updated_at]


def test_worked_ticket_stays_and_the_leads_are_told(repo: SqlRepository, clock: Clock) -> None:
    key = held_p1(repo, clock)
    note(repo, clock, key, "tia", timedelta(hours=3, minutes=50))
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1))

    ticket = repo.get(key)
    assert (ticket.assignee, ticket.tier, ticket.escalation) == ("tia", 1, Escalation.NONE)
    # Acme's leads and tier 3: not the admin who ran it, not Globex's, not the deactivated.
    assert set(ticket.watchers) == {"lea", "jon", "gus"}
    assert {(a.key, a.clock, a.outcome) for a in result.actions} == {
        (key, "update", Outcome.KEPT),
        (key, "resolution", Outcome.KEPT),
    }
    assert result.escalated == [] and result.count(Outcome.KEPT) == 1  # one ticket
    # One note for the two clocks that breached at once, by the policy.
    notes = [c for c in repo.comments(key) if c.kind is CommentKind.NOTE and c.author != "tia"]
    assert len(notes) == 1 and notes[0].author == "sla:default"
    assert "It stays with tia" in notes[0].body and "tia's note 11m ago" in notes[0].body
    assert "escalate:tier3" in notes[0].body
    # Every entry the sweep wrote names the policy, none the login that ran it.
    written = sweep_entries(repo, key)
    assert {actor for actor, _ in written} == {"sla:default"}
    assert {"watchers", "note", "sla:breached:update", "sla:breached:resolution"} <= {
        f for _, f in written
    }
    assert actor_label(written[0][0]) == "SLA policy default"
    event = next(h for h in repo.history(key) if h.field == "sla:breached:resolution")
    assert event.new == "escalate:tier3 → kept (run by ops)"
    # Acted on once: the next sweep leaves it alone.
    version = ticket.version
    assert sweep_at(repo, clock, timedelta(hours=4, minutes=2)).actions == []
    assert repo.get(key).version == version


def test_idle_ticket_escalates_as_before(repo: SqlRepository, clock: Clock) -> None:
    key = held_p1(repo, clock)
    note(repo, clock, key, "tia", timedelta(hours=2))  # two hours before: idle for a P1
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1))

    ticket = repo.get(key)
    assert (ticket.assignee, ticket.tier, ticket.escalation) == (None, 3, Escalation.AWAITING_TIER)
    assert ticket.escalated_by == "sla:default" and ticket.watchers == ()
    assert result.escalated == [key]
    # The first clock met moves it; the second finds it at tier 3 already.
    moved, then = result.actions
    assert (moved.clock, moved.outcome) == ("resolution", Outcome.ESCALATED)
    assert moved.detail == "tier 1 → 3, taken from tia (no agent reply or note within 1h)"
    assert (then.clock, then.outcome) == ("update", Outcome.RECORDED)
    assert then.detail == "recorded (already at tier 3)"
    assert {actor for actor, _ in sweep_entries(repo, key)} == {"sla:default"}
    assert [c.author for c in repo.comments(key)] == ["tia", "tia"]  # no notice


def test_only_an_agents_words_count(repo: SqlRepository, clock: Clock) -> None:
    key = held_p1(repo, clock)
    clock.at = FROZEN + timedelta(hours=3, minutes=55)
    svc = as_(repo, "tia", clock)
    svc.customer_reply(key, "Any news? Our stores open soon.")
    svc.mail_note(key, "Out of office until Monday.", "autoreply@acme.example")
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1))
    assert result.escalated == [key] and repo.get(key).assignee is None


def test_reassign_policy_keeps_todays_behaviour(repo: SqlRepository, clock: Clock) -> None:
    text = read_builtin("default").replace('when_worked = "notify"', 'when_worked = "reassign"')
    reassign = parse_text(text)
    key = held_p1(repo, clock)
    note(repo, clock, key, "tia", timedelta(hours=3, minutes=50))
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1), policy=reassign)
    ticket = repo.get(key)
    assert (ticket.assignee, ticket.tier) == (None, 3)
    assert result.actions[0].outcome is Outcome.ESCALATED
    assert result.actions[0].detail == (
        "tier 1 → 3, taken from tia (tia's note 11m ago, but when_worked = reassign)"
    )


def test_a_priority_may_say_otherwise(repo: SqlRepository, clock: Clock) -> None:
    text = read_builtin("default").replace(
        'on_breach = "escalate:tier3"', 'on_breach = "escalate:tier3"\nwhen_worked = "reassign"'
    )
    key = held_p1(repo, clock)
    note(repo, clock, key, "tia", timedelta(hours=3, minutes=50))
    sweep_at(repo, clock, timedelta(hours=4, minutes=1), policy=parse_text(text))
    assert repo.get(key).tier == 3


def test_the_policy_decides_whoever_runs_it(repo: SqlRepository, clock: Clock) -> None:
    # A tier-1 agent (the cron agent docs/mail.md creates) may not escalate bo's ticket
    # by hand; the policy's rule does it when that agent runs the sweep, and says so.
    key = held_p1(repo, clock, holder="bo")
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1), who="tia")
    assert result.escalated == [key] and repo.get(key).tier == 3
    assert {actor for actor, _ in sweep_entries(repo, key)} == {"sla:default"}
    event = next(h for h in repo.history(key) if h.field == "sla:breached:resolution")
    assert event.new == "escalate:tier3 → escalated (run by tia)"


def test_a_deactivated_runner_is_refused(repo: SqlRepository, clock: Clock) -> None:
    key = held_p1(repo, clock)
    with pytest.raises(AccessDenied, match="old is deactivated"):
        sweep_at(repo, clock, timedelta(hours=4, minutes=1), who="old")
    assert repo.get(key).sla_flags == () and repo.get(key).assignee == "tia"


def test_notify_rule_makes_the_leads_watchers(repo: SqlRepository, clock: Clock) -> None:
    svc = as_(repo, "tia", clock)
    key = svc.create(TicketDraft(subject="Report export slow", organization="Acme")).key
    # Medium: first response within 4 business hours, then notify:lead.
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1))
    assert [(a.clock, a.outcome) for a in result.actions] == [("first_response", Outcome.NOTIFIED)]
    assert set(repo.get(key).watchers) == {"lea", "jon"}
    assert result.actions[0].detail.startswith("notified the leads: ")
    assert {actor for actor, _ in sweep_entries(repo, key)} == {"sla:default"}


def test_sweep_of_someone_serving_one_organization(repo: SqlRepository, clock: Clock) -> None:
    acme = held_p1(repo, clock)
    repo.save_agent(
        Agent("gina", "Gina Globex Lead", tier=3, role=Role.LEAD, organizations=("Globex",))
    )
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1), who="gina")
    assert result.evaluated == 0 and result.actions == []
    assert repo.get(acme).sla_flags == ()


def test_review_rule_sends_to_a_lead_and_keeps_the_assignee(
    repo: SqlRepository, clock: Clock
) -> None:
    text = read_builtin("default").replace(
        'on_breach = "escalate:tier3"', 'on_breach = "escalate:lead"'
    )
    review = parse_text(text)
    key = held_p1(repo, clock)
    result = sweep_at(repo, clock, timedelta(hours=4, minutes=1), policy=review)
    ticket = repo.get(key)
    assert (ticket.assignee, ticket.escalation) == ("tia", Escalation.AWAITING_LEAD)
    assert ticket.escalated_by == "sla:default"
    assert [(a.outcome, a.detail) for a in result.actions] == [
        (Outcome.REVIEW, "sent to a lead's review"),
        (Outcome.RECORDED, "recorded (already waiting for a lead's review)"),
    ]
