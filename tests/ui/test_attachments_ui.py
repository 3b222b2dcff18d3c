"""Reading a ticket's attachments on screen: text as text, anything else described."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from helpdesk_tui.domain.text import PLACEHOLDER
from helpdesk_tui.store.base import Query
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.attachment import AttachmentScreen, read_preview
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen
from tests.ui.conftest import AppFactory
from tests.ui.support import choose, expect_screen, open_ticket, press

LOG = "2026-11-22 03:14:07 ERROR gateway: upstream timed out after 30s\n" * 3


def _plain(widget: Static) -> str:
    rendered = widget.render()
    assert isinstance(rendered, Content | Text)
    return rendered.plain


def _with_files(app: HelpdeskApp, folder: Path, files: dict[str, bytes]) -> str:
    """A ticket of the demo store with `files` (name → content) attached, one by one."""
    key = app.service.query(Query(limit=1)).tickets[0].key
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content)
        app.service.attach(key, app.service.get(key).version, path)
    return key


def _palette(app: HelpdeskApp) -> set[str]:
    return {command.title for command in app.get_system_commands(app.screen)}


async def test_a_log_reads_as_text_and_escape_goes_back(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        key = _with_files(app, tmp_path, {"gateway.log": LOG.encode()})
        screen = await open_ticket(pilot, app, key)
        assert "Files" in _palette(app)
        await press(pilot, "f")
        expect_screen(pilot, AttachmentScreen)
        body = app.screen.query_one("#attachment-body", Static)
        assert _plain(body) == LOG
        await press(pilot, "escape")
        assert app.screen is screen


async def test_a_ticket_without_files_offers_none(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, app, _with_files(app, tmp_path, {}))
        assert "Files" not in _palette(app)
        await press(pilot, "f")
        assert app.screen is screen


async def test_several_files_ask_which_and_binary_is_described(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
        files = {"notes.txt": b"restart the gateway\n", "screen.png": png}
        await open_ticket(pilot, app, _with_files(app, tmp_path, files))
        await press(pilot, "f")
        expect_screen(pilot, ChoiceScreen)
        await choose(pilot, "screen.png")
        expect_screen(pilot, AttachmentScreen)
        texts = [_plain(s) for s in app.screen.query(Static)]
        assert any("Not shown: this file is not text" in t for t in texts), texts
        stored = app.screen.path  # type: ignore[attr-defined]
        assert stored.read_bytes() == png  # the store's copy, named
        assert any(str(stored) in t for t in texts)


async def test_what_a_customer_attached_never_drives_the_terminal(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        evil = b"a\x1b]0;pwned\x07b\x1b[2J [bold]MARKUP[/] [@click=app.quit]q[/]\n"
        await open_ticket(pilot, app, _with_files(app, tmp_path, {"evil.txt": evil}))
        await press(pilot, "f")
        shown = _plain(app.screen.query_one("#attachment-body", Static))
        assert "\x1b" not in shown and "pwned" not in shown
        assert PLACEHOLDER in shown
        assert "[bold]MARKUP[/] [@click=app.quit]q[/]" in shown  # as text, not markup


def test_a_preview_is_the_files_head_and_stays_text_across_a_cut(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_text("é" * 10)  # 20 bytes, two per character
    cut = read_preview(path, limit=7)  # cuts the fourth "é" in half
    assert (cut.text, cut.size, cut.cut) == ("ééé", 20, True)
    whole = read_preview(path)
    assert (whole.text, whole.cut) == ("é" * 10, False)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café".encode("latin-1"))
    assert read_preview(latin1).text is None  # not UTF-8: described, not shown garbled
