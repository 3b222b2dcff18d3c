"""The ticket screen's Details tab: every field, scrolled by the same keys as the
conversation beside it (j/k as well as the arrows)."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll

from ...settings.i18n import _


class DetailsScroll(VerticalScroll, can_focus=True):
    BINDINGS = [
        Binding("j", "scroll_down", _("Down"), show=False, id="details.down"),
        Binding("k", "scroll_up", _("Up"), show=False, id="details.up"),
    ]
