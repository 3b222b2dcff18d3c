"""Escalation on a real Request Tracker 5 (issue 14, acceptance line 3): the reason,
who escalated and the watcher travel through RT's fields; F3 lists the reason, the
decision dialog records a comment as an RT comment, History reads as sentences.

Skipped without RT, a failure with HELPDESK_REQUIRE_RT=1 (tests/store/rt_server.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable

from helpdesk_tui.domain.model import CommentKind, Escalation
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.settings.config import TOKEN_ENV, Settings
from helpdesk_tui.ui.screens.escalation import EscalationScreen
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.ui.rt_support import (  # noqa: F401  (fixtures)
    AGENT,
    RtServer,
    make_rt_app,
    rt_queues,
    rt_server,
    rt_settings,
    seed_tickets,
)
from tests.ui.support import decide, open_ticket, press, settle


def as_agent(settings: Settings, server: RtServer, username: str) -> HelpdeskService:
    """Another agent's service on the same RT: a colleague at their own desk, with their
    own token (on RT the agent is the token's user)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_ENV, server.token_for(username))
        repo = bootstrap.open_repository(settings)
    return bootstrap.build_service(settings, repo)


async def test_escalate_and_decide_with_a_comment_on_rt(
    rt_server: RtServer,  # noqa: F811
    rt_settings: Settings,  # noqa: F811
) -> None:
    # alice works tier 1; the app's agent is a tier-3 lead who decides.
    rt = replace(rt_settings.rt, agents={"alice": (1, "agent"), AGENT: (3, "lead")})
    settings = replace(rt_settings, rt=rt)
    app = make_rt_app(settings)
    [key] = seed_tickets(app.service, 1)
    alice = as_agent(settings, rt_server, "alice")
    try:
        held = alice.take(key, alice.get(key).version)
        moved = alice.escalate(key, held.version, 2, "needs log analysis on the gateway")
        assert (moved.assignee, moved.escalation, moved.watchers) == (
            None,
            Escalation.AWAITING_TIER,
            ("alice",),
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await press(pilot, "f3", "tab")  # a lead starts on lead reviews
            assert isinstance(app.screen, EscalationScreen)
            table = app.screen.query_one(TicketTable)
            [row] = [table.render_line(i + 1).text for i in range(table.total)]
            assert key in row and " alice " in row and "needs log analysis on the gateway" in row

            await open_ticket(pilot, app, key)
            await press(pilot, "d")
            await decide(pilot, "Accept", "taking it: I know this gateway")
            await press(pilot, "2")
            history = app.screen.query_one("#history-table", DataTable)
            texts = [
                " ".join(str(history.get_row_at(i)[1]).split()) for i in range(history.row_count)
            ]
        assert texts[-2:] == [
            "Escalated from tier 1 to tier 2 by alice: needs log analysis on the gateway"
            " · Assignee: alice → nobody · Watchers: + alice",
            f"Escalation accepted by {AGENT}: taking it: I know this gateway",
        ]
        stored = alice.get(key)
        assert (stored.assignee, stored.escalation) == (AGENT, Escalation.NONE)
        note = alice.conversation_of(stored)[-1]
        assert (note.kind, note.body.strip()) == (
            CommentKind.NOTE,
            "taking it: I know this gateway",
        )
    finally:
        alice.close()
