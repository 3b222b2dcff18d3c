"""The real app against a real Request Tracker 5: Pilot flows through bootstrap's service.

Nothing is mocked: the settings say `kind = "rt"`, the token comes from $HELPDESK_TOKEN,
`bootstrap.build_service` opens an RtRepository on the RT that tests/store/rt_server.py
starts, and every check of the outcome asks RT itself over REST2. Skipped without RT
(HELPDESK_REQUIRE_RT=1 makes that a failure).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static, TextArea
from textual.worker import WorkerCancelled

from helpdesk_tui.cli.main import main
from helpdesk_tui.domain.model import CommentKind, Priority, Status
from helpdesk_tui.launch import bootstrap
from helpdesk_tui.settings.config import CONFIG_ENV, TOKEN_ENV, Settings
from helpdesk_tui.store.rt import RtConfig, RtRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen, ConflictScreen, PromptScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.conversation import Conversation
from helpdesk_tui.ui.widgets.status_line import StatusLine
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.store.rt_server import free_port
from tests.ui import support
from tests.ui.rt_support import (  # noqa: F401  (rt_server, rt_queues, rt_settings, rt_proxy)
    AGENT,
    PREFIX,
    RtProxy,
    RtServer,
    answer,
    make_rt_app,
    rt_id,
    rt_proxy,
    rt_queues,
    rt_server,
    rt_settings,
    seed_tickets,
    stall,
)
from tests.ui.support import expect_screen

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


async def settle(pilot: Pilot[None]) -> None:
    """support.settle, also when a newer load of a screen cancelled an older one meanwhile
    (a write reloads the ticket, and so does the change listener when it sees the write)."""
    for _ in range(10):
        try:
            await support.settle(pilot)
            return
        except WorkerCancelled:
            continue
    raise AssertionError("the app did not settle: loads kept cancelling each other")


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press keys one at a time, settling after each (every key may switch screens)."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def choose(pilot: Pilot[None], label_start: str) -> None:
    """support.choose, settling as above."""
    try:
        await support.choose(pilot, label_start)
    except WorkerCancelled:
        await settle(pilot)


def record_toasts(app: HelpdeskApp) -> list[tuple[str, str]]:
    """(severity, message) of every toast the app shows from now on, kept: Textual drops a
    toast once its time is up, and a loaded machine may take longer than that."""
    shown: list[tuple[str, str]] = []
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        shown.append((str(options.get("severity", "information")), message))
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]
    return shown


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


async def test_attach_a_file_on_rt(
    rt_server: RtServer,  # noqa: F811
    rt_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = make_rt_app(rt_settings)
    toasts = record_toasts(app)
    [key] = seed_tickets(app.service, 1)
    ticket_id = rt_id(key)
    log = "panic: tunnel reset\n" * 50 + "ünïcode ✓\n"
    (tmp_path / "crash.log").write_text(log)  # cwd is tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_view(pilot, "All open")
        screen = await open_ticket(pilot, key)
        # RT keeps files: the attach key is offered (footer, help, palette) and works.
        assert screen.check_action("attach", ()) is True
        await press(pilot, "A")
        expect_screen(pilot, PromptScreen)
        await pilot.press(*"crash.log")
        await press(pilot, "enter")
        expect_screen(pilot, TicketScreen)
        assert [m for level, m in toasts if level == "error"] == []
        assert f"{key}: attached crash.log" in [m for _level, m in toasts]
        assert screen.ticket is not None and screen.ticket.version == 2
        shown = [str(w.content) for w in screen.query_one(Conversation).query(Static)]
        assert any("📎 crash.log" in part for part in shown), shown

    # RT holds a Comment (an internal note) carrying the file, byte for byte.
    history = rt_history(rt_server, ticket_id)
    [txn] = [t for t in history if t["Type"] in ("Comment", "Correspond")]
    assert txn["Type"] == "Comment"
    with rt_server.api() as client:
        files = client.get(
            f"transaction/{txn['id']}/attachments", params={"fields": "Filename,ContentLength"}
        ).json()["items"]
    assert [f["Filename"] for f in files if f["Filename"]] == ["crash.log"]
    other = fresh_repository(rt_settings, rt_server)
    try:
        [message] = other.comments(key)
        [attached] = message.attachments
        assert (message.kind, attached.filename, attached.size) == (
            CommentKind.NOTE,
            "crash.log",
            len(log.encode()),
        )
        assert attached.id is not None
        assert other.attachment_path(key, attached.id).read_text() == log
    finally:
        other.close()


def _not_sent(message: str) -> bool:
    """Whether a toast says the reply did not go out (the store's or the screen's words)."""
    return "NOT posted" in message or "not sent" in message.lower()


FAILURES = [
    ("timeout", None, "did not answer within 4 s"),  # first: later ones mark an outage
    ("401", answer(401, b'{"message": "Unauthorized"}'), "refused the token (401)"),
    ("403", answer(403, b'{"message": "Permission Denied"}'), "(403, RT rights)"),
    ("5xx", answer(500, b"<html>Internal Server Error</html>", "text/html"), "failed (500)"),
    ("garbage", answer(200, b"<html>Please log in</html>", "text/html"), "malformed JSON"),
    ("unreachable", None, "connection refused"),
]
"""How RT (or what stands in front of it) can fail a write, and what the agent reads.
The slow-store line is checked during the timeout, before any outage outranks it."""


async def test_a_failing_rt_says_why_and_the_reply_is_kept_until_it_goes_through(
    rt_server: RtServer,  # noqa: F811
    rt_settings: Settings,  # noqa: F811
    rt_proxy: RtProxy,  # noqa: F811
) -> None:
    settings = replace(
        rt_settings, backend_url=rt_proxy.url, rt=replace(rt_settings.rt, timeout=4.0)
    )
    app = make_rt_app(settings)
    toasts = record_toasts(app)
    [key] = seed_tickets(app.service, 1)
    ticket_id = rt_id(key)
    put = f"PUT {ticket_id}"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_view(pilot, "All open")
        screen = await open_ticket(pilot, key)
        await press(pilot, "r")
        expect_screen(pilot, ComposeScreen)
        await pilot.press(*REPLY)
        for name, failure, says in FAILURES:
            seen = len(toasts)
            if name == "unreachable":
                rt_proxy.down()
            elif name == "timeout":
                rt_proxy.hooks[put] = lambda h: stall(6)(h) or answer(504, b"{}")(h)
            else:
                assert failure is not None
                rt_proxy.hooks[put] = failure
            await pilot.press("ctrl+s")
            if name == "timeout":  # while RT keeps it waiting, the screen says so
                status = screen.query_one(StatusLine)
                deadline = time.monotonic() + 3
                while "waiting for the store" not in status.text:
                    assert time.monotonic() < deadline, f"no slow-store status: {status.text!r}"
                    await pilot.pause(0.1)
            await settle(pilot)
            rt_proxy.hooks.clear()
            if name == "unreachable":
                rt_proxy.up()
            # The agent is told why, in one line, and that the reply did not go out.
            errors = [message for level, message in toasts[seen:] if level == "error"]
            assert any(says in e and _not_sent(e) for e in errors), (name, errors)
            assert all("\n" not in e and "Traceback" not in e for e in errors), errors
            assert app.is_running and app.return_code is None
            # Nothing reached RT, and the text is kept: in the editor, and as a draft.
            assert not [t for t in rt_history(rt_server, ticket_id) if t["Type"] == "Correspond"]
            assert screen.drafts.load(key, "reply") == REPLY, name
            if not isinstance(app.screen, ComposeScreen):
                await press(pilot, "r")
            expect_screen(pilot, ComposeScreen)
            assert app.screen.query_one(TextArea).text == REPLY, name
        # RT is back: the same text goes out, once.
        await press(pilot, "ctrl+s")
        expect_screen(pilot, TicketScreen)
        assert screen.drafts.pending(key) == []
        assert screen.ticket is not None and screen.ticket.status is Status.OPEN

    replies = [t for t in rt_history(rt_server, ticket_id) if t["Type"] == "Correspond"]
    assert len(replies) == 1
    other = fresh_repository(rt_settings, rt_server)
    try:
        [sent] = [c for c in other.comments(key) if c.kind is CommentKind.REPLY]
        assert sent.body.strip() == REPLY
    finally:
        other.close()


@pytest.mark.parametrize("failure", ["unreachable", "401"])
def test_the_app_does_not_start_on_an_rt_it_cannot_use(
    rt_server: RtServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: str,
) -> None:
    url = f"http://127.0.0.1:{free_port()}" if failure == "unreachable" else rt_server.url
    config = tmp_path / "helpdesk-tui.toml"
    config.write_text(
        f'[backend]\nkind = "rt"\nurl = "{url}"\ninsecure = true\n\n'
        '[backend.rt.queues]\n"Tier 1" = 1\n'
    )
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.setenv(TOKEN_ENV, "1-14-not-a-real-token-0123456789abcdef")
    code = main([])
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert ("connection refused" if failure == "unreachable" else "(401)") in err
    assert "not-a-real-token" not in err


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
        f'[backend]\nkind = "rt"\nurl = "{rt_server.url}"\ninsecure = true\n'
        f'key_prefix = "{PREFIX}"\n\n'
        f"[backend.rt.queues]\n{queues}\n\n"
        f'[agent]\nusername = "{AGENT}"\n'
    )
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.setenv(TOKEN_ENV, rt_server.token_for(AGENT))
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

    # On RT the agent is the token's user (issue 15, line 3): another name is refused,
    # however it is asked for, with one line and nothing written.
    for how in (["--as", "root"], ["--as", "alice"]):
        code = main([*how, "ticket", "create", "--subject", "Not mine to file"])
        out, err = capsys.readouterr()
        assert (code, out) == (2, "") and err.count("\n") == 1
        assert f"the RT token is {AGENT}'s" in err and "is refused" in err
    monkeypatch.setenv("HELPDESK_AGENT", "root")
    code = main(["ticket", "list", "--json"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and "($HELPDESK_AGENT) is refused" in err
    monkeypatch.delenv("HELPDESK_AGENT")
    # A token that does not say whose it is: refused, without the token in the message.
    monkeypatch.setenv(TOKEN_ENV, "0123456789abcdef0123456789abcdef")
    code = main(["ticket", "list"])
    out, err = capsys.readouterr()
    assert code != 0 and out == "" and "0123456789abcdef" not in err
    assert err.count("\n") == 1
    monkeypatch.setenv(TOKEN_ENV, rt_server.token_for(AGENT))
    code = main(["ticket", "list", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["total"] == 1
