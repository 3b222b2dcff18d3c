"""Every binding has an id (so it can be remapped), is listed in help and docs/keys.md,
and a remap from the config file takes effect."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

import helpdesk_tui.ui as ui_package
from helpdesk_tui.ui.screens.help import binding_sections
from tests.ui.conftest import AppFactory
from tests.ui.support import settle
from tests.ui.test_flows import queue

ROOT = Path(__file__).resolve().parents[2]


def _all_ui_classes() -> list[type[DOMNode]]:
    for module in pkgutil.walk_packages(ui_package.__path__, "helpdesk_tui.ui."):
        importlib.import_module(module.name)
    found: list[type[DOMNode]] = []
    stack: list[type[DOMNode]] = [DOMNode]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("helpdesk_tui."):
            found.append(cls)
    return found


def test_every_binding_has_an_id_and_a_place_in_help() -> None:
    listed = {
        b.id for _title, bindings in binding_sections() for b in bindings if isinstance(b, Binding)
    }
    for cls in _all_ui_classes():
        for binding in cls.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding), f"{cls.__name__}: {binding!r} is not a Binding"
            assert binding.id, f"{cls.__name__}: {binding.key} has no id"
            assert binding.id in listed, f"{binding.id} is missing from the help screen"


def test_keys_doc_is_current() -> None:
    from scripts.keys_doc import render

    assert (ROOT / "docs" / "keys.md").read_text() == render(), "run scripts/keys_doc.py"


async def test_a_remapped_key_works(make_app: AppFactory) -> None:
    app = make_app(keymap={"queue.search": "ctrl+g"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "search"
        assert queue(app).query_one("#search").display
