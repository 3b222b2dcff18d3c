"""Shift handover: what I touched, what waits on me, what breaches in the next hours.

The same handover `helpdesk-tui handover` prints (service/handover.py, rendered by
reporting/handover.py), one line per ticket under each section's heading. Enter on a
line opens its ticket; `c` copies the text version to the clipboard (OSC 52, when
`[terminal] clipboard` is on) for pasting into the team's chat.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...domain.text import safe_line
from ...reporting import handover as rendering
from ...service.handover import DEFAULT_NEXT, DEFAULT_SINCE, Handover
from ...settings.i18n import _
from ..jobs import call_store
from ..widgets.footer import HelpdeskFooter
from ..widgets.status_line import StatusLine
from ..widgets.title_bar import TitleBar
from .base import Keys, LiveScreen


class HandoverScreen(LiveScreen):
    CSS_PATH = "handover.tcss"

    BINDINGS = [
        Binding("escape", "app.go('queue')", _("Queue"), id="handover.back"),
        Binding("c", "copy", _("Copy as text"), id="handover.copy"),
        Binding("r,ctrl+r", "refresh", _("Refresh"), id="handover.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.handover: Handover | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(_("Shift handover"), id="handover-title")
        yield OptionList(id="handover-lines")
        yield StatusLine()
        yield HelpdeskFooter()

    @property
    def lines(self) -> OptionList:
        return self.query_one("#handover-lines", OptionList)

    def on_mount(self) -> None:
        self.lines.focus()
        self.load()

    def load(self) -> None:
        service = self.helpdesk.service
        call_store(
            self,
            lambda: service.handover(DEFAULT_SINCE, DEFAULT_NEXT),
            self.show,
            group="handover",
            exclusive=True,
            what=_("handover"),
        )

    def show(self, handover: Handover) -> None:
        self.handover = handover
        self.query_one(TitleBar).show(Text(rendering.title(handover, _)))
        lines = self.lines
        highlighted = lines.highlighted_option
        was = highlighted.id if highlighted is not None else None
        lines.clear_options()
        options: list[Option] = []
        sections = list(rendering.headings(handover, _))
        # One key column through every section: HD-27 under HD-217 moved its line along.
        keys = [safe_line(line.ticket.key) for _h, s in sections for line in s.lines]
        width = max(map(cell_len, keys), default=0)
        for heading, section in sections:
            options.append(Option(Text(heading, style="bold"), disabled=True))
            for line in section.lines:
                text = Text(no_wrap=True, overflow="ellipsis")
                key = safe_line(line.ticket.key)
                text.append(key + " " * (width - cell_len(key)), style="bold")
                text.append(f"  {line.ticket.priority.short}  ")
                # What happened before the subject: at 80 columns the subject gives way.
                text.append(rendering.what(line, _))
                text.append("  — " + rendering.subject(line), style="dim")
                # A ticket can be in more than one section: each line its own id.
                options.append(Option(text, id=f"{len(options)}:{line.ticket.key}"))
            for note in rendering.section_notes(section, _):
                options.append(Option(Text("  " + note, style="italic"), disabled=True))
        lines.add_options(options)
        chosen = next((i for i, o in enumerate(options) if was and o.id == was), None)
        if chosen is None:
            chosen = next((i for i, o in enumerate(options) if not o.disabled), None)
        lines.highlighted = chosen
        self.query_one(StatusLine).say(self._summary(handover))

    def _summary(self, handover: Handover) -> str:
        if not any(s.lines for s in (handover.touched, handover.waiting, handover.breaching)):
            return _("Nothing to hand over: no ticket touched, waiting or breaching soon.")
        return _("enter: open · c: copy as text · r: refresh · read at {time} UTC").format(
            time=f"{handover.now:%H:%M}"
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id
        if option_id:
            self.helpdesk.open_ticket(option_id.partition(":")[2])

    def live_changed(self, keys: Keys) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_copy(self) -> None:
        if self.handover is None:
            return
        if not self.helpdesk.settings.terminal.clipboard:
            self.notify(
                _("The clipboard is off ([terminal] clipboard in the config)."),
                severity="warning",
            )
            return
        self.app.copy_to_clipboard(rendering.render(self.handover, "text"))
        self.notify(_("Handover copied to the clipboard as text."))
