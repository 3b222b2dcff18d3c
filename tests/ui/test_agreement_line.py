"""The ticket's SLA line names the agreement its clocks follow (the ticket screen shows
it under the working time; tests/ui/test_time_left_everywhere.py sees it there)."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk_tui.domain.model import Priority, Ticket
from helpdesk_tui.domain.sla import parse_policy, with_agreements
from helpdesk_tui.settings.policies import load_builtin
from helpdesk_tui.ui.widgets.countdown import agreement_text
from tests.domain.test_sla_agreements import AROUND_THE_CLOCK

POLICY = with_agreements(
    load_builtin("default"),
    {
        "Acme Corp": parse_policy(AROUND_THE_CLOCK),
        "Evil": parse_policy(
            AROUND_THE_CLOCK.replace('name = "care365"', 'name = "care\\u001b[31m365"')
        ),
    },
)


def ticket(organization: str | None) -> Ticket:
    return Ticket(
        key="HD-1",
        subject="x",
        priority=Priority.HIGH,
        created_at=datetime(2026, 3, 6, 17, 0, tzinfo=UTC),
        organization=organization,
    )


def test_the_line_names_the_agreement_or_standard() -> None:
    assert agreement_text(POLICY, ticket("acme CORP")) == "SLA agreement: care365"
    assert agreement_text(POLICY, ticket("Initech")) == "SLA agreement: standard"
    assert agreement_text(POLICY, ticket(None)) == "SLA agreement: standard"


def test_a_policy_name_is_shown_as_text() -> None:
    shown = agreement_text(POLICY, ticket("evil"))
    assert "\x1b" not in shown and shown.startswith("SLA agreement: care")
