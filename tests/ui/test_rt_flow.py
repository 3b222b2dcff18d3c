"""The real app against a real Request Tracker 5: Pilot flows through bootstrap's service.

Nothing is mocked: the settings say `kind = "rt"`, the token comes from $HELPDESK_TOKEN,
`bootstrap.build_service` opens an RtRepository on the RT that tests/store/rt_server.py
starts, and every check of the outcome asks RT itself over REST2. Skipped without RT
(HELPDESK_REQUIRE_RT=1 makes that a failure).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from helpdesk_tui import bootstrap
from helpdesk_tui.cli import main
from helpdesk_tui.config import CONFIG_ENV, TOKEN_ENV, Settings
from helpdesk_tui.domain.model import CommentKind, Priority, Status
from helpdesk_tui.store.rt import RtConfig, RtRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen, ConflictScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.ui.rt_support import (  # noqa: F401  (rt_server, rt_queues, rt_settings: fixtures)
    AGENT,
    PREFIX,
    RtServer,
    make_rt_app,
    rt_id,
    rt_queues,
    rt_server,
    rt_settings,
    seed_tickets,
)
from tests.ui.support import choose, expect_screen, press, settle

SIZE = (120, 40)
REPLY = "We restarted the VPN concentrator; please tell us if it drops again."


# --- helpers ------------------------------------------------------------------------


def queue_screen(app: HelpdeskApp) -> QueueScreen:
    screen = app.screen
    assert isinstance(screen, QueueScreen), screen
    return screen


async def open_view(pilot: Pilot[None], title: str) -> None:
    await press(pilot, "v")
    await choose(pilot, title)


async def open_ticket(pilot: Pilot[None], key: str) -> TicketScreen:
    """Put the queue's cursor on `key` and press enter, as an agent would."""
    table = queue_screen(pilot.app).table  # type: ignore[arg-type]
    keys = [t.key for t in table.visible_tickets()]
    assert key in keys, (key, keys)
    await press(pilot, "home", *(["down"] * keys.index(key)))
    assert table.current is not None and table.current.key == key
    await press(pilot, "enter")
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen) and screen.key == key, screen
    assert screen.ticket is not None and screen.ticket.key == key  # loaded from RT
    return screen


def row_text(table: TicketTable, key: str) -> str:
    """The queue row of `key` as it is drawn on screen."""
    keys = [t.key for t in table.visible_tickets()]
    y = keys.index(key) - int(table.scroll_y) + 1  # line 0 is the header
    return table.render_line(y).text


def notifications(app: HelpdeskApp) -> list[Any]:
    return list(app._notifications)


def rt_history(rt: RtServer, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's transactions as RT lists them (oldest first)."""
    with rt.api() as client:
        response = client.get(
            f"ticket/{ticket_id}/history",
            params={"fields": "Type,Field,OldValue,NewValue,Creator", "per_page": 100},
        )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def fresh_repository(settings: Settings, rt: RtServer) -> RtRepository:
    """A second client of the same RT (another agent's app, or a script)."""
    config = RtConfig(url=rt.url, queues=settings.rt.queues, key_prefix=settings.key_prefix)
    return RtRepository.open(config, rt.token)


# --- the flow -----------------------------------------------------------------------


async def test_work_an_rt_ticket_take_reply_pending(
    rt_server: RtServer,  # noqa: F811
    rt_settings: Settings,  # noqa: F811
) -> None:
    app = make_rt_app(rt_settings)
    keys = seed_tickets(app.service, 3)
    key = keys[1]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_view(pilot, "All open")
        table = queue_screen(app).table
        shown = [t.key for t in table.visible_tickets()]
        assert sorted(shown) == sorted(keys) and table.total == 3
        assert all(k.startswith(f"{PREFIX}-") for k in shown)
        assert all(t.status is Status.NEW and t.assignee is None for t in table.visible_tickets())
        assert row_text(table, key).lstrip().startswith(key)

        screen = await open_ticket(pilot, key)
        await press(pilot, "t")  # take
        assert screen.ticket is not None and screen.ticket.assignee == AGENT

        await press(pilot, "r")
        expect_screen(pilot, ComposeScreen)
        await pilot.press(*REPLY)
        await press(pilot, "ctrl+s")
        expect_screen(pilot, TicketScreen)
        assert screen.ticket is not None and screen.ticket.status is Status.OPEN  # replied
        assert screen.drafts.pending(key) == []

        await press(pilot, "s")
        expect_screen(pilot, ChoiceScreen)
        await choose(pilot, "pending")
        expect_screen(pilot, TicketScreen)
        assert screen.ticket is not None and screen.ticket.status is Status.PENDING
        errors = [n for n in notifications(app) if n.severity == "error"]
        assert errors == [], [n.message for n in errors]

        await press(pilot, "escape")
        table = queue_screen(app).table
        row = next(t for t in table.visible_tickets() if t.key == key)
        assert (row.status, row.assignee) == (Status.PENDING, AGENT)
        drawn = row_text(table, key)
        assert "pending" in drawn and AGENT in drawn, drawn

    # What RT itself now holds.
    ticket_id = rt_id(key)
    raw = rt_server.rest("GET", f"ticket/{ticket_id}")
    assert raw["Status"] == "pending"
    assert raw["Owner"]["id"] == AGENT
    types = [t["Type"] for t in rt_history(rt_server, ticket_id)]
    assert types.count("Correspond") == 1 and "Comment" not in types
    changes = {(t["Field"], t["NewValue"]) for t in rt_history(rt_server, ticket_id)}
    assert ("Status", "pending") in changes
    # The reply is the Correspond (public), with the words typed in the composer.
    other = fresh_repository(rt_settings, rt_server)
    try:
        [reply] = [c for c in other.comments(key) if c.kind is CommentKind.REPLY]
        assert reply.body.strip() == REPLY and reply.author == AGENT
        stored = other.get(key)
        assert (stored.status, stored.assignee) == (Status.PENDING, AGENT)
        assert stored.first_response_at is not None
        # The other tickets were not touched.
        for untouched in (keys[0], keys[2]):
            assert other.get(untouched).status is Status.NEW
    finally:
        other.close()


@pytest.mark.parametrize("behind_our_back", ["rest2", "second_client"])
async def test_a_change_made_in_rt_meanwhile_is_a_conflict_and_retry_applies(
    rt_server: RtServer,  # noqa: F811
    rt_settings: Settings,  # noqa: F811
    behind_our_back: str,
) -> None:
    app = make_rt_app(rt_settings)
    [key] = seed_tickets(app.service, 1)
    ticket_id = rt_id(key)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_view(pilot, "All open")
        await open_ticket(pilot, key)
        # Somebody changes the ticket in RT after it is on our screen.
        if behind_our_back == "rest2":  # RT's own UI or a script: RT's ETag moves
            rt_server.rest("PUT", f"ticket/{ticket_id}", {"Subject": "Changed in RT itself"})
            expected_field, theirs = "subject", "Changed in RT itself"
        else:  # another helpdesk-tui: the version in Helpdesk state moves too
            other = fresh_repository(rt_settings, rt_server)
            try:
                colleague = bootstrap.build_service(rt_settings, repo=other)
                base = colleague.get(key)
                colleague.update(key, base.version, subject="Changed by a colleague")
            finally:
                other.close()
            expected_field, theirs = "subject", "Changed by a colleague"

        await press(pilot, "p")
        await choose(pilot, "P1")
        conflict = app.screen
        assert isinstance(conflict, ConflictScreen), conflict
        assert expected_field in conflict.error.changed_fields, conflict.error.changed_fields
        assert conflict.error.current.subject == theirs
        assert rt_server.rest("GET", f"ticket/{ticket_id}")["Priority"] != 100  # not written

        await press(pilot, "r")  # retry on theirs
        screen = app.screen
        assert isinstance(screen, TicketScreen), screen
        assert screen.ticket is not None
        assert (screen.ticket.priority, screen.ticket.subject) == (Priority.CRITICAL, theirs)

    raw = rt_server.rest("GET", f"ticket/{ticket_id}")
    assert (int(raw["Priority"]), raw["Subject"]) == (100, theirs)


async def test_attaching_on_rt_is_hidden_and_the_app_goes_on(
    rt_server: RtServer,  # noqa: F811
    rt_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = make_rt_app(rt_settings)
    [key] = seed_tickets(app.service, 1)
    ticket_id = rt_id(key)
    before = len(rt_history(rt_server, ticket_id))
    (tmp_path / "crash.log").write_text("panic: tunnel reset\n")  # cwd is tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_view(pilot, "All open")
        screen = await open_ticket(pilot, key)
        # RT cannot store attachments: the action is hidden and its key does nothing.
        assert screen.check_action("attach", ()) is False
        assert "attach" not in {
            b.binding.action
            for b in screen.active_bindings.values()
            if screen.check_action(b.binding.action, ()) is not False
        }
        await press(pilot, "A")
        expect_screen(pilot, TicketScreen)
        assert app.is_running and app.return_code is None
        assert not any("attached" in n.message for n in notifications(app))
        # ... and the app keeps working on the same ticket.
        await press(pilot, "n")
        await pilot.press(*"Logs are on the share instead.")
        await press(pilot, "ctrl+s")
        expect_screen(pilot, TicketScreen)
        assert screen.ticket is not None and screen.ticket.version == 2

    history = rt_history(rt_server, ticket_id)[before:]
    assert [t["Type"] for t in history if t["Type"] in ("Comment", "Correspond")] == ["Comment"]
    assert not any(t["Type"] == "AddAttachment" for t in history)


def test_cli_ticket_list_json_on_rt(
    rt_server: RtServer,  # noqa: F811
    rt_queues: dict[str, int],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queues = "\n".join(f'"{name}" = {tier}' for name, tier in rt_queues.items())
    config = tmp_path / "helpdesk-tui.toml"
    config.write_text(
        f'[backend]\nkind = "rt"\nurl = "{rt_server.url}"\nkey_prefix = "{PREFIX}"\n\n'
        f"[backend.rt.queues]\n{queues}\n\n"
        f'[agent]\nusername = "{AGENT}"\n'
    )
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.setenv(TOKEN_ENV, rt_server.token)
    code = main(["ticket", "create", "--subject", "Printer on fire", "--tier", "2", "--json"])
    created = json.loads(capsys.readouterr().out)
    assert code == 0 and created["key"].startswith(f"{PREFIX}-")

    code = main(["ticket", "list", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    listed = json.loads(out)
    assert listed["total"] == 1
    [ticket] = listed["tickets"]
    assert (ticket["key"], ticket["subject"], ticket["tier"]) == (
        created["key"],
        "Printer on fire",
        2,
    )
    assert ticket["status"] == "new"
