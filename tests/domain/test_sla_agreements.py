"""SLA agreements: an organization measured by a policy of its own, the rest by the
default one. Friday 2026-03-13 17:00 UTC is an hour before the default policy's
business day ends; the agreement's policy below runs every clock around the clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk_tui.domain.model import Priority, Status, Ticket
from helpdesk_tui.domain.sla import (
    STANDARD_AGREEMENT,
    PolicyError,
    TargetKind,
    agreement_name,
    evaluate,
    evaluate_many,
    parse_policy,
    sla_columns,
    with_agreements,
)
from helpdesk_tui.settings.policies import load_builtin

AROUND_THE_CLOCK = """\
name = "care365"
description = "Care365: every priority on the 24x7 clock"

[priorities.critical]
clock = "24x7"
first_response = "15m"
resolution = "4h"

[priorities.high]
clock = "24x7"
first_response = "1h"
resolution = "8h"

[priorities.medium]
clock = "24x7"
first_response = "4h"
resolution = "24h"

[priorities.low]
clock = "24x7"
first_response = "8h"
resolution = "3d"
"""

DEFAULT = load_builtin("default")
CARE365 = parse_policy(AROUND_THE_CLOCK)
FRIDAY_EVENING = datetime(2026, 3, 13, 17, 0, tzinfo=UTC)


POLICY = with_agreements(DEFAULT, {"Acme Corp": CARE365, "Globex": load_builtin("nexly")})


def ticket(organization: str | None, key: str = "HD-1") -> Ticket:
    return Ticket(
        key=key,
        subject="checkout fails",
        priority=Priority.MEDIUM,
        status=Status.OPEN,
        created_at=FRIDAY_EVENING,
        organization=organization,
    )


def first_response_due(t: Ticket) -> datetime | None:
    statuses = evaluate(t, POLICY, FRIDAY_EVENING)
    return next(s.due_at for s in statuses if s.kind is TargetKind.FIRST_RESPONSE)


def test_an_agreement_measures_its_organizations_tickets_by_its_policy() -> None:
    # 4 h on the 24x7 clock: Friday 21:00. 4 business hours: 1 h on Friday, 3 on Monday.
    assert first_response_due(ticket("Acme Corp")) == datetime(2026, 3, 13, 21, 0, tzinfo=UTC)
    assert first_response_due(ticket("Initech")) == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
    assert first_response_due(ticket(None)) == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


def test_the_organization_matches_whatever_its_case_but_nothing_else() -> None:
    due = datetime(2026, 3, 13, 21, 0, tzinfo=UTC)
    assert first_response_due(ticket("ACME corp")) == due
    assert first_response_due(ticket(" acme CORP ")) == due
    assert first_response_due(ticket("Acme")) != due
    assert first_response_due(ticket("Acme Corp Ltd")) != due


def test_the_agreement_is_named_and_standard_without_one() -> None:
    assert agreement_name(POLICY, "acme corp") == "care365"
    assert agreement_name(POLICY, "GLOBEX") == "nexly"
    assert agreement_name(POLICY, "Initech") == STANDARD_AGREEMENT == "standard"
    assert agreement_name(POLICY, None) == "standard"
    assert agreement_name(DEFAULT, "Acme Corp") == "standard"
    assert POLICY.for_organization("Initech") is POLICY
    assert POLICY.for_organization("acme corp").name == "care365"


def test_the_stored_columns_follow_the_agreement() -> None:
    acme, other = ticket("Acme Corp"), ticket("Initech")
    assert sla_columns(acme, POLICY)[0] == datetime(2026, 3, 13, 21, 0, tzinfo=UTC)
    assert sla_columns(other, POLICY)[0] == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
    # The columns agree with the clocks the lists show, so sorting by them is right.
    for t in (acme, other):
        due = min(s.due_at for s in evaluate(t, POLICY, FRIDAY_EVENING) if s.due_at)
        assert sla_columns(t, POLICY)[0] == due


def test_evaluate_many_measures_each_ticket_by_its_own_agreement() -> None:
    # Interleaved, so a cache of one calendar's F(now) shared across policies would show.
    tickets = [
        ticket(org, f"HD-{i}")
        for i, org in enumerate(["Initech", "Acme Corp", "Globex", None, "acme corp"], 1)
    ]
    later = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    assert evaluate_many(tickets, POLICY, later) == [evaluate(t, POLICY, later) for t in tickets]
    breached = [
        any(s.state.value == "breached" for s in row)
        for row in evaluate_many(tickets, POLICY, later)
    ]
    assert breached == [False, True, False, False, True]


def test_an_agreements_breach_rules_and_actor_are_its_own() -> None:
    globex = POLICY.for_organization("globex")
    assert globex.actor == "sla:nexly" and POLICY.actor == "sla:default"
    assert globex.action_for(Priority.MEDIUM, "at_risk") is None
    assert POLICY.action_for(Priority.CRITICAL, "breached") is not None


def test_two_names_of_one_organization_are_refused() -> None:
    with pytest.raises(PolicyError, match=r"'acme'.*same organization as 'Acme'"):
        with_agreements(DEFAULT, {"Acme": CARE365, "acme": CARE365})
    with pytest.raises(PolicyError, match="cannot be empty"):
        with_agreements(DEFAULT, {"  ": CARE365})


def test_without_agreements_nothing_changes() -> None:
    plain = ticket("Acme Corp")
    assert evaluate(plain, DEFAULT, FRIDAY_EVENING) == evaluate(
        ticket(None), DEFAULT, FRIDAY_EVENING
    )
    assert with_agreements(DEFAULT, {}) == DEFAULT
