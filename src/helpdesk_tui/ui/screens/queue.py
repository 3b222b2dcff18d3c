"""The queue: saved views, filter, search, sort, multi-select and bulk actions."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from ...domain.access import Action, can
from ...domain.model import Agent, Priority, Status, Ticket
from ...domain.text import safe_line
from ...service import HelpdeskService
from ...service.views import (
    BREACHING_SOON,
    PAGE_ROWS,
    FilterError,
    View,
    parse_filter,
    search_query,
)
from ...settings.i18n import _, ngettext
from ...settings.i18n import label as tr
from ...store.base import Capability, Page, Query, SortKey, list_count_cap
from ..access import refused
from ..jobs import call_store
from ..labels import keyed, sort_name
from ..widgets.footer import HelpdeskFooter
from ..widgets.inputs import BarInput
from ..widgets.pinned import PinnedTickets
from ..widgets.status_line import StatusLine
from ..widgets.suggestion import TRIAGE_ACTIONS, SuggestionBar, triage_bindings
from ..widgets.ticket_table import TicketTable
from ..widgets.title_bar import TitleBar, middle_cut
from .copying import offer_copy
from .dialogs import ChoiceScreen, ConfirmScreen, PromptScreen, ViewPicker, agent_options, on_answer
from .queue_selection import QueueSelection

SORTS = [
    SortKey.SLA_DUE,
    SortKey.URGENCY,
    SortKey.PRIORITY,
    SortKey.UPDATED,
    SortKey.CREATED,
    SortKey.KEY,
]
TRIAGE_EVERY = 0.3
"""Seconds between looks at the cursor: the suggestion line follows it within this."""


class QueueScreen(QueueSelection):
    # The first showing, or back from a ticket: show what changed there without losing
    # our place (LiveScreen.on_screen_resume calls live_changed).
    REFRESH_ON_RESUME = True

    BINDINGS = [
        Binding("v", "pick_view", _("Views"), id="queue.views"),
        Binding(
            "right_square_bracket",
            "cycle_view(1)",
            _("Next view"),
            show=False,
            id="queue.next_view",
        ),
        Binding(
            "left_square_bracket",
            "cycle_view(-1)",
            _("Prev view"),
            show=False,
            id="queue.prev_view",
        ),
        Binding("f", "filter", _("Filter"), id="queue.filter"),
        Binding("slash", "search", _("Search"), id="queue.search"),
        Binding("o", "sort", _("Sort"), id="queue.sort"),
        Binding("O", "reverse", _("Reverse"), show=False, id="queue.reverse"),
        Binding("t", "take", _("Take"), id="queue.take"),
        Binding("T", "take_next", _("Take next"), show=False, id="queue.take_next"),
        Binding("A", "acknowledge", _("Acknowledge P1"), show=False, id="queue.acknowledge"),
        Binding("a", "bulk_assign", _("Assign"), id="queue.assign"),
        Binding("p", "bulk_priority", _("Priority"), id="queue.priority"),
        Binding("s", "bulk_status", _("Status"), id="queue.status"),
        Binding("number_sign", "bulk_tags", _("Tags"), show=False, id="queue.tags"),
        Binding("n", "new_ticket", _("New"), id="queue.new"),
        Binding("r,ctrl+r", "refresh", _("Refresh"), show=False, id="queue.refresh"),
        Binding("Y", "copy", _("Copy"), show=False, id="queue.copy"),
        Binding("escape", "clear", _("Clear"), show=False, id="queue.clear"),
        *triage_bindings("queue"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view_index = 0
        self._urgency: tuple[int, int] | None = None
        """(breached, due within 30 minutes) in the view, once counted."""
        self._count_due: Query | None = None
        """The query just asked, whose title counts are read once its rows are drawn."""
        self.filter_text = ""
        self.search_text = ""
        self.sort: SortKey | None = None
        self.descending = False

    @property
    def view(self) -> View:
        return self.helpdesk.views[self.view_index]

    def compose(self) -> ComposeResult:
        yield TitleBar(id="queue-title")
        yield PinnedTickets(id="pinned")
        yield BarInput(
            placeholder=_("filter: status:open priority:p1,p2 tier:2 assignee:me due:<30m words…"),
            id="filter",
            classes="bar",
        )
        yield BarInput(
            placeholder=_("search subject, description and conversation…"),
            id="search",
            classes="bar",
        )
        yield TicketTable(self.helpdesk.policy, self.helpdesk.clock, id="tickets")
        yield SuggestionBar(id="queue-suggestion")
        yield StatusLine(id="status")
        yield HelpdeskFooter()

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#search").display = False
        self.table.focus()
        # No query here: ScreenResume follows the first mount too, and runs it.
        self.every(1.0, self._tick)
        self.every(TRIAGE_EVERY, self._follow_triage)

    # ----------------------------------------------------------------- query

    def current_query(self) -> Query:
        me, now = self.helpdesk.username, self.helpdesk.clock()
        query = self.view.build(me, now)
        if self.filter_text:
            query = parse_filter(self.filter_text, me, now, base=query)
        if self.search_text:
            query = search_query(self.search_text, query)
        if self.sort is not None and (self.sort is not SortKey.RELEVANCE or query.text):
            query = replace(query, sort=self.sort, descending=self.descending)
        return query

    def _sorts(self) -> list[SortKey]:
        """The sorts `o` cycles through: a search's best matches first too, where the
        store ranks them (not RT) and the search has words (an address finds a requester)."""
        searching = self.search_text and self.current_query().text
        if searching and Capability.RANKED_SEARCH in self.service.capabilities:
            return [*SORTS, SortKey.RELEVANCE]
        return SORTS

    def run_query(self, keep_cursor: bool = False) -> bool:
        """Read the current query's rows; False if not asked (bad filter, no store yet)."""
        try:
            query = self.current_query()
        except FilterError as exc:
            self._filter_refused(exc)
            return False
        if not self.helpdesk.ready:
            # The launch is still opening the store: the app's StoreChanged asks again.
            self._show_title(query)
            return False
        service = self.service

        listed = replace(query, count_cap=list_count_cap(query))

        def fetch(offset: int, limit: int) -> Page:
            return service.query(listed.page(offset, limit))

        self.table.empty_text = empty_text(tr(self.view.title), self.search_text, self.filter_text)
        at_hand = service.page_at_hand(listed.page(0, PAGE_ROWS))
        self.table.load(fetch, keep_cursor=keep_cursor, at_hand=at_hand)
        self._show_title(query)

        self._count_due = query
        return True

    def _show_urgency(self, counts: tuple[int, int]) -> None:
        self._urgency = counts
        self._show_title()

    def _show_title(self, query: Query | None = None) -> None:
        query = query or self.current_query()
        head = [tr(self.view.title), self.table.counted_tickets()]
        if self.table.marked:
            # Next to the count, where a narrow terminal still shows it: a bulk action
            # acts on these.
            head.append(_("{count} selected").format(count=len(self.table.marked)))
        text = title_text(head, query, self._urgency, self.filter_text, self.search_text)
        text.append(f"  [{self.helpdesk.username}]", style="dim")
        self.query_one(TitleBar).show(text)

    def on_ticket_table_loaded(self, message: TicketTable.Loaded) -> None:
        if message.error:
            self.status.say(_("store: {error}").format(error=message.error), error=True)
        else:
            self.status.say(self.table.counted_tickets())
            if self._count_due is not None or self.pinned_due:
                self.call_after_refresh(self._rows_drawn)
        self._show_title()

    def _rows_drawn(self) -> None:
        # Read after the rows the agent acts on: at launch these reads opened this
        # process's own connection while the helper's rows waited to be drawn.
        query, self._count_due = self._count_due, None
        if query is not None:
            # The rows' own read says what is wrong with the store: no second message.
            urgency = partial(self.service.urgency_counts, query, BREACHING_SOON)
            quiet = self._read_failed_quietly
            call_store(self, urgency, self._show_urgency, quiet, group="urgency", exclusive=True)
        self.read_pinned_if_due()

    def _tick(self) -> None:
        self.table.tick()
        self.tick_pinned()

    def live_changed(self, keys: frozenset[str] | None) -> None:
        # Any change may move a ticket into or out of this view: re-read the blocks on
        # screen, keeping the rows shown until fresh ones arrive (and the cursor). The
        # pinned P1s are the store's, not the view's: read on a change, not per view.
        if self.run_query(keep_cursor=True):
            self.pinned_due = True
        else:
            self.read_pinned()

    # ------------------------------------------------------- views and filter

    def action_cycle_view(self, step: int) -> None:
        self.view_index = (self.view_index + step) % len(self.helpdesk.views)
        self.run_query()

    def action_pick_view(self) -> None:
        options = [(tr(view.title), str(index)) for index, view in enumerate(self.helpdesk.views)]

        def chosen(value: str | None) -> None:
            if value is not None:
                self.view_index = int(value)
                self.run_query()

        me, now = self.helpdesk.username, self.helpdesk.clock()
        queries = [view.build(me, now) for view in self.helpdesk.views]
        self.app.push_screen(ViewPicker(options, str(self.view_index), queries), chosen)

    def action_filter(self) -> None:
        self._open_bar("#filter", self.filter_text)

    def action_search(self) -> None:
        self._open_bar("#search", self.search_text)

    def _open_bar(self, selector: str, value: str) -> None:
        bar = self.query_one(selector, Input)
        bar.display = True
        bar.value = value
        bar.focus()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        try:
            parse_filter(text, self.helpdesk.username, self.helpdesk.clock())
        except FilterError as exc:
            self._filter_refused(exc)  # the box stays open with the text, to correct it
            return
        self.filter_text = text
        self._close_bar(event.input)
        self.run_query()

    def _filter_refused(self, exc: FilterError) -> None:
        # A toast too: on-call alerts and a slow store outrank the status line's message,
        # where a refused filter went unseen (the title kept the old filter).
        said = _("Filter not applied: {error}").format(error=str(exc))
        self.status.say(said, error=True)
        self.notify(safe_line(said), severity="error", timeout=8)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        self._close_bar(event.input)
        self.run_query()

    def _close_bar(self, bar: Input) -> None:
        bar.display = bool(bar.value.strip())
        self.table.focus()

    def action_clear(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            focused.value = ""
            self._close_bar(focused)
            return
        if self.table.marked:
            self.table.clear_marks()
            self._show_title()
            return
        if self.filter_text or self.search_text:
            self.filter_text = self.search_text = ""
            for bar in self.query(Input):
                bar.value = ""
                bar.display = False
            self.run_query()

    def action_sort(self) -> None:
        current, sorts = self.current_query().sort, self._sorts()
        self.sort = sorts[(sorts.index(current) + 1) % len(sorts)] if current in sorts else sorts[0]
        self.run_query()

    def action_reverse(self) -> None:
        self.sort = self.current_query().sort
        self.descending = not self.descending
        self.run_query()

    def action_copy(self) -> None:
        offer_copy(self, self.table.current)

    def action_refresh(self) -> None:
        self.run_query(keep_cursor=True)
        self.read_pinned()

    # ----------------------------------------------------------------- actions

    def _targets(self) -> list[Ticket]:
        """The selected tickets on screen, or the one under the cursor."""
        if self.table.marked:
            found = [t for t in self.table.visible_tickets() if t.key in self.table.marked]
            known = {t.key for t in found}
            missing = self.table.marked - known
            # Selected rows scrolled away are still selected: fetch them by key.
            return found + [Ticket(key=k, subject="", version=-1) for k in sorted(missing)]
        current = self.table.current
        return [current] if current else []

    def action_new_ticket(self) -> None:
        from .new_ticket import NewTicketScreen

        if self.helpdesk.store_opening():
            return

        def created(key: str | None) -> None:
            if key:
                self.run_query(keep_cursor=True)
                self.helpdesk.open_ticket(key)

        self.app.push_screen(NewTicketScreen(), created)

    def action_bulk_assign(self) -> None:
        if self.helpdesk.store_opening():
            return
        targets = self._targets()
        # An agent who may assign none of them (only a lead assigns) is told now, not
        # after choosing whom; where some may be assigned, each refusal is said after.
        if targets and all(not can(self.service.me, Action.ASSIGN, t) for t in targets):
            refused(self, Action.ASSIGN, targets[0])
            return

        # The agent list is a store read: fetch it in a worker, never on the event loop.
        def show(agents: list[Agent]) -> None:
            self._bulk("assign", ChoiceScreen(_("Assign to"), agent_options(agents, unassign=True)))

        call_store(self, self.service.agents, show, what=_("agents"))

    def action_bulk_priority(self) -> None:
        options = [(f"{p.short} {tr(p.label)}", p.value) for p in Priority]
        self._bulk("priority", ChoiceScreen(_("Priority"), options))

    def action_bulk_status(self) -> None:
        options = [(tr(s.label), s.value) for s in Status if s is not Status.NEW]
        self._bulk("status", ChoiceScreen(_("Status"), options))

    def action_bulk_tags(self) -> None:
        prompt = _("Tags on the selected tickets (comma-separated): +tag adds, -tag removes")
        example = _("+outage,vpn -old")
        self._bulk("tags", PromptScreen(prompt, placeholder=example, required=True))

    def _bulk(self, what: str, picker: Screen[str | None]) -> None:
        targets = self._targets()
        if not targets:
            return
        names = {
            "assign": _("assign"),
            "priority": _("priority"),
            "status": _("status"),
            "tags": _("tags"),
        }

        def chosen(value: str | None) -> None:
            if value is None:
                return
            if what == "tags" and tag_edit(value) == ((), ()):
                self.notify(_("Nothing to add or remove: +tag adds, -tag removes."))
                return
            needs_reason = what == "status" and value in ("cancelled", "on_hold")
            if needs_reason:
                self.app.push_screen(
                    PromptScreen(
                        _("Why {status}?").format(status=tr(Status(value).label)), required=True
                    ),
                    on_answer(lambda reason: confirm(value, reason)),
                )
            else:
                confirm(value, None)

        def confirm(value: str, reason: str | None) -> None:
            destructive = what == "status" and value in ("closed", "cancelled")
            if len(targets) > 1 or destructive:
                label = value or _("nobody")
                question = ngettext(
                    "Set {what} to {value} on {count} ticket?",
                    "Set {what} to {value} on {count} tickets?",
                    len(targets),
                ).format(what=names[what], value=label, count=len(targets))
                self.app.push_screen(
                    ConfirmScreen(question, destructive=destructive),
                    on_answer(lambda _ok: apply(value, reason)),
                )
            else:
                apply(value, reason)

        def apply(value: str, reason: str | None) -> None:
            service = self.service
            keys = [t.key for t in targets]

            def run() -> tuple[int, list[str], list[str]]:
                return _write_all(service, what, keys, value, reason)

            def finished(result: tuple[int, list[str], list[str]]) -> None:
                count, unchanged, failures = result
                self.table.clear_marks()
                self.run_query(keep_cursor=True)
                if failures:
                    self.notify(
                        "\n".join(safe_line(f) for f in failures[:5]),
                        title=_("{count} done, {refused} refused").format(
                            count=count, refused=len(failures)
                        ),
                        severity="warning",
                        timeout=10,
                    )
                else:
                    self.notify(_bulk_told(names[what], what, value, count, unchanged))

            call_store(self, run, finished, what=_("bulk {what}").format(what=names[what]))

        self.app.push_screen(picker, chosen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TRIAGE_ACTIONS:
            return self.query_one(SuggestionBar).offering
        return True


def tag_edit(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tags `+a,b -c d` adds (a, b, d) and removes (c).

    Commas separate tags as in the edit form (E), where "outage,vpn" is two tags: read
    as one word here, `+outage,vpn` made a single tag "outage,vpn". A sign before a
    comma-separated group applies to each of its tags (`-a,b` removes both); a tag in
    the group may carry its own (`+a,-b`)."""
    added: list[str] = []
    removed: list[str] = []
    sign, group_open = "+", False
    for word in text.split():
        if word[0] in "+-" or not (group_open or word[0] == ","):  # `-a, b`: one group
            sign = "-" if word[0] == "-" else "+"
        group_open = word.endswith(",")
        for part in word.split(","):
            own, tag = (part[0], part[1:]) if part[:1] in ("+", "-") else (sign, part)
            (removed if own == "-" else added).append(tag)
    return tuple(t for t in added if t), tuple(t for t in removed if t)


def edited_tags(ticket: Ticket, text: str) -> tuple[str, ...]:
    """`ticket`'s tags after `text`'s additions and removals, in their order."""
    added, removed = tag_edit(text)
    return tuple(dict.fromkeys(t for t in (*ticket.tags, *added) if t not in removed))


def _write_all(
    service: HelpdeskService, what: str, keys: list[str], value: str, reason: str | None
) -> tuple[int, list[str], list[str]]:
    """A bulk action, ticket by ticket: how many it changed, the keys that had the
    value already, and each refusal (the others are still written)."""
    done_count, unchanged, failures = 0, [], []
    for key in keys:
        try:
            if _write_one(service, what, key, value, reason):
                done_count += 1
            else:
                unchanged.append(key)
        except Exception as exc:  # report each refusal, keep going
            # A refusal often names the ticket already ("HD-98 is held by …").
            failures.append(keyed(key, str(exc)))
    return done_count, unchanged, failures


def _write_one(
    service: HelpdeskService, what: str, key: str, value: str, reason: str | None
) -> bool:
    """One ticket's part of a bulk action, on the version it has now; whether it wrote
    anything (the service writes nothing where the ticket has the value already, and
    still checks that I may: a refusal stays a refusal)."""
    fresh = service.latest(key)
    if what == "assign":
        written = service.assign(key, fresh.version, value or None)
    elif what == "priority":
        written = service.update(key, fresh.version, priority=Priority(value))
    elif what == "tags":
        written = service.update(key, fresh.version, tags=edited_tags(fresh, value))
    else:
        written = service.set_status(key, fresh.version, Status(value), reason)
    return written.version != fresh.version


def _bulk_told(name: str, what: str, value: str, count: int, unchanged: list[str]) -> str:
    """What a bulk action did, counting only the tickets it changed: "priority set on 1
    ticket" was said for P1 on a ticket that had P1, where nothing was written."""
    if not count and len(unchanged) == 1:
        shown = {
            "assign": value or _("nobody"),
            "priority": Priority(value).short if what == "priority" else value,
            "status": tr(Status(value).label) if what == "status" else value,
        }.get(what)
        if shown is None:
            return _("{key}: its tags needed no change").format(key=unchanged[0])
        return _("{key} already has {what} {value}").format(
            key=unchanged[0], what=name, value=shown
        )
    said = ngettext("{what} set on {count} ticket", "{what} set on {count} tickets", count)
    told = said.format(what=name, count=count)
    if unchanged:
        already = ngettext(
            "{count} already had it", "{count} already had it", len(unchanged)
        ).format(count=len(unchanged))
        told = f"{told} · {already}"
    return told


def title_text(
    head: list[str],
    query: Query,
    urgency: tuple[int, int] | None,
    filter_text: str,
    search_text: str,
) -> Text:
    """The queue's title: `head` (view, count, selection), then what narrows the list,
    then the sort and the urgency counts. The title bar drops whole parts from the end
    when it is too narrow: at 80 columns what the agent typed stays and the sort goes
    first (the column order shows it anyway); a long term is cut in its middle."""
    parts = list(head)
    if search_text:
        parts.append(_("search: {text}").format(text=middle_cut(safe_line(search_text))))
    if filter_text:
        parts.append(_("filter: {text}").format(text=middle_cut(safe_line(filter_text))))
    parts.append(_("by {sort}").format(sort=sort_name(query.sort)))
    if query.descending:
        parts[-1] += " ↓"
    if urgency is not None:
        breached, soon = urgency
        parts.append(_("{count:,} breached").format(count=breached))
        parts.append(_("{count:,} due ≤30m").format(count=soon))
    return Text(" · ".join(safe_line(p) for p in parts), no_wrap=True, overflow="ellipsis")


def empty_text(view: str, search: str, filter_text: str) -> str | None:
    """Why the list is empty, and the way out, where a search or a filter narrows the
    view (escape clears them); None where nothing does, for the table's own sentence."""
    if search and filter_text:
        said = _("No ticket in {view} matches the search and the filter · esc clears them")
    elif search:
        said = _("No ticket in {view} matches “{words}” · esc clears the search")
    elif filter_text:
        said = _("No ticket in {view} matches the filter · esc clears it")
    else:
        return None
    return said.format(view=view, words=safe_line(search))
