"""Saved views and the filter language shared by the queue's filter bar, the config
file's `[[views]]` and `helpdesk-tui ticket list --filter`.

A filter is words separated by spaces: `field:value[,value...]` terms and free text.
    status:open,pending  priority:p1,p2  type:incident  tier:2  assignee:me|none|alex
    org:acme  org:"Acme Retail"  requester:ada  watching:me  due:<30m
    escalation:tier|lead  sla:breached|at-risk|running|paused  responded:no
    an e-mail address → that requester's tickets; any other words → full text
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from ..domain.model import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    EMAIL_RE,
    TIER_NAMES,
    Escalation,
    Priority,
    Status,
    TicketType,
)
from ..domain.sla.urgency import Urgency
from ..settings.i18n import N_
from ..store.base import InvalidInput, Query, SortKey


class FilterError(InvalidInput, ValueError):
    """A filter term that cannot be read; the message (one line) names it. An
    InvalidInput, so whatever shows a store's refusals shows this one as well."""


@dataclass(frozen=True, slots=True)
class View:
    id: str
    title: str
    """English, marked where it is a saved view's; the screens show `i18n.label(title)`."""
    build: Callable[[str, datetime], Query]
    """(current agent, now) → the view's query."""


BREACHING_SOON = timedelta(minutes=30)
PAGE_ROWS = 100
"""Rows per read of a view: the queue reads blocks of this many (a few screens, so
scrolling rarely waits), and a launch reads the first block of the first view early
(startup.py), so both must ask for the same rows."""


def _saved() -> list[View]:
    active = ACTIVE_STATUSES
    done = DONE_STATUSES
    views = [
        View(
            "my_open",
            N_("My open"),
            lambda me, now: Query(statuses=active, assignees=frozenset({me})),
        ),
        View("all_open", N_("All open"), lambda me, now: Query(statuses=active)),
        View(
            "unassigned", N_("Unassigned"), lambda me, now: Query(statuses=active, unassigned=True)
        ),
        View(
            "my_closed",
            N_("My closed"),
            lambda me, now: Query(
                statuses=done, assignees=frozenset({me}), sort=SortKey.UPDATED, descending=True
            ),
        ),
        View(
            "all_closed",
            N_("All closed"),
            lambda me, now: Query(statuses=done, sort=SortKey.UPDATED, descending=True),
        ),
        View("watching", N_("Watching"), lambda me, now: Query(statuses=active, watcher=me)),
        View(
            "breaching_soon",
            N_("Breaching soon"),
            lambda me, now: Query(
                statuses=active, due_before=now + BREACHING_SOON, sort=SortKey.URGENCY
            ),
        ),
        View(
            "needs_first_response",
            N_("Needs first response"),
            lambda me, now: Query(
                statuses=active, awaiting_first_response=True, sort=SortKey.URGENCY
            ),
        ),
        View(
            "escalations",
            N_("Escalated"),
            lambda me, now: Query(
                statuses=active,
                escalations=frozenset({Escalation.AWAITING_TIER, Escalation.AWAITING_LEAD}),
            ),
        ),
    ]
    views.extend(_tier_view(tier) for tier in (1, 2, 3))
    return views


def _tier_view(tier: int) -> View:
    def build(me: str, now: datetime) -> Query:
        return Query(statuses=ACTIVE_STATUSES, tiers=frozenset({tier}))

    return View(f"tier_{tier}", TIER_NAMES[tier], build)


SAVED_VIEWS: dict[str, View] = {view.id: view for view in _saved()}


def custom_view(view_id: str, title: str, text: str, sort: str = "sla_due") -> View:
    """A view from the config file; its filter is checked now so a typo fails at start."""
    try:
        sort_key = SortKey(sort)
    except ValueError:
        choices = ", ".join(s.value for s in SortKey)
        raise FilterError(
            f"view {title!r}: unknown sort {sort!r} (choose from {choices})"
        ) from None
    parse_filter(text, "me", datetime(2000, 1, 1).astimezone())

    def build(me: str, now: datetime) -> Query:
        return replace(parse_filter(text, me, now), sort=sort_key)

    return View(view_id, title, build)


_DURATION_RE = re.compile(r"^<?(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}
MAX_DUE_MINUTES = 3660 * 24 * 60
"""due:<... looks at most ten years ahead: SLA targets fall within days."""


def parse_filter(text: str, me: str, now: datetime, base: Query | None = None) -> Query:
    """Read a filter string into a Query (narrowing `base`). Raises FilterError.

    `field:value` terms filter (`org:"Acme Retail"` quotes a value with spaces); an
    unknown field is an error naming the nearest known one, never a search for the
    text. Other words search, and a word that is an e-mail address finds that
    requester's tickets. `"error:404"` in quotes searches for the text itself.
    """
    query = base or Query()
    words: list[str] = []
    given: dict[object, str] = {}
    for match in _TOKEN.finditer(text):
        if match["open"] or match["unclosed"]:
            raise FilterError(f"{match[0].strip()}: a quote is not closed")
        name = match["field"]
        if name is None:
            word = match["phrase"] if match["phrase"] is not None else match["word"]
            if EMAIL_RE.match(word):
                query = replace(query, requester_like=word)
            elif word.strip():
                words.append(word)
            continue
        value = match["quoted"] if match["quoted"] is not None else match["value"]
        term = _TERMS.get(name.lower())
        if term is None:
            if value.startswith("//"):  # a URL: search for it
                words.append(match[0])
                continue
            raise FilterError(_unknown_field(name))
        if not value.strip():
            raise FilterError(f"{name}: needs a value ({name}:something)")
        if term in given:
            # Terms are ANDed: a second one would either replace the first or match
            # nothing, and neither is what was meant.
            raise FilterError(
                f"{name}: given twice (with {given[term]}:); list the values once, {name}:a,b"
            )
        given[term] = name
        query = term(query, value, me, now)
    if words:
        query = replace(query, text=" ".join(words))
    return query


def search_query(text: str, base: Query) -> Query:
    """`base` searching for `text`: its tickets holding the words, or, for an e-mail
    address, its requester's tickets (a search box finds a customer by address)."""
    words = text.strip()
    if EMAIL_RE.match(words):
        return replace(base, requester_like=words)
    return replace(base, text=words or None)


# A term: `field:"quoted value"`, `field:value`, a "quoted phrase", a word, or a quote
# left open (an error).
_TOKEN = re.compile(
    r'(?P<field>[A-Za-z][A-Za-z_-]*):(?:"(?P<quoted>[^"]*)"|(?P<unclosed>"[^"]*$)|(?P<value>[^\s"]*))'
    r'|"(?P<phrase>[^"]*)"'
    r'|(?P<open>"[^"]*$)'
    r'|(?P<word>[^\s"]+)'
)


def _unknown_field(name: str) -> str:
    nearest = difflib.get_close_matches(name.lower(), _TERMS, n=1, cutoff=0.5)
    hint = f"; did you mean {nearest[0]}:?" if nearest else ""
    known = ", ".join(sorted({t for t in _TERMS if len(t) > 2}))
    return f"{name}: is no field{hint} (fields: {known}; quote text with a colon to search it)"


def _values(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def _status(q: Query, value: str, me: str, now: datetime) -> Query:
    found: set[Status] = set()
    for v in _values(value):
        if v.lower() == "active":
            found |= ACTIVE_STATUSES
        elif v.lower() == "done":
            found |= DONE_STATUSES
        else:
            found.add(_parse(Status, v))
    return replace(q, statuses=frozenset(found))


E = TypeVar("E", Status, Priority, TicketType, Escalation)


def _parse(kind: type[E], value: str) -> E:
    try:
        return kind.parse(value)  # type: ignore[return-value]
    except ValueError as exc:
        raise FilterError(str(exc)) from None


def _priority(q: Query, value: str, me: str, now: datetime) -> Query:
    return replace(q, priorities=frozenset(_parse(Priority, v) for v in _values(value)))


def _type(q: Query, value: str, me: str, now: datetime) -> Query:
    return replace(q, types=frozenset(_parse(TicketType, v) for v in _values(value)))


def _tier(q: Query, value: str, me: str, now: datetime) -> Query:
    tiers = set()
    for v in _values(value):
        if v not in ("1", "2", "3"):
            raise FilterError(f"tier:{v}: tiers are 1, 2 and 3")
        tiers.add(int(v))
    return replace(q, tiers=frozenset(tiers))


NOBODY = ("none", "nobody", "unassigned")
"""What `assignee:` reads as no assignee; with "me", no agent may be called so."""
ASSIGNEE_WORDS = ("me", *NOBODY)


def _assignee(q: Query, value: str, me: str, now: datetime) -> Query:
    names = set()
    unassigned = False
    for v in _values(value):
        if v.lower() in NOBODY:
            unassigned = True
        else:
            names.add(me if v.lower() == "me" else v)
    return replace(q, assignees=frozenset(names), unassigned=unassigned)


def _org(q: Query, value: str, me: str, now: datetime) -> Query:
    return replace(q, organization_like=value.strip())


def _requester(q: Query, value: str, me: str, now: datetime) -> Query:
    return replace(q, requester_like=value.strip())


def _watching(q: Query, value: str, me: str, now: datetime) -> Query:
    return replace(q, watcher=me if value.lower() == "me" else value)


def _due(q: Query, value: str, me: str, now: datetime) -> Query:
    match = _DURATION_RE.match(value.lower())
    if not match:
        raise FilterError(f"due:{value}: expected something like due:<30m, due:<2h or due:<1d")
    # A number of any length reaches here: bounded first, so neither timedelta nor the
    # date arithmetic overflows (an uncaught OverflowError ended the app at its filter bar).
    if len(match[1]) > 9 or int(match[1]) * _MINUTES[match[2]] > MAX_DUE_MINUTES:
        raise FilterError(f"due:{value[:40]}: at most {MAX_DUE_MINUTES // (24 * 60)} days ahead")
    delta = timedelta(**{_UNITS[match[2]]: int(match[1])})
    return replace(q, due_before=now + delta)


def _escalation(q: Query, value: str, me: str, now: datetime) -> Query:
    mapping = {"tier": Escalation.AWAITING_TIER, "lead": Escalation.AWAITING_LEAD}
    found = set()
    for v in _values(value):
        if v.lower() in mapping:
            found.add(mapping[v.lower()])
        else:
            found.add(_parse(Escalation, v))
    return replace(q, escalations=frozenset(found))


_URGENCY_WORDS = {u.label.replace(" ", "-"): u for u in Urgency}


def _sla(q: Query, value: str, me: str, now: datetime) -> Query:
    urgency = _URGENCY_WORDS.get(value.lower().replace("_", "-"))
    if urgency is None:
        words = ", ".join(f"sla:{w}" for w in _URGENCY_WORDS)
        raise FilterError(f"sla:{value[:40]}: expected one of {words}")
    return replace(q, urgency=urgency, as_of=now)


def _responded(q: Query, value: str, me: str, now: datetime) -> Query:
    if value.lower() not in ("no", "none"):
        raise FilterError(f"responded:{value[:40]}: only responded:no is searchable")
    return replace(q, awaiting_first_response=True)


_TERMS: dict[str, Callable[[Query, str, str, datetime], Query]] = {
    "status": _status,
    "is": _status,
    "priority": _priority,
    "p": _priority,
    "type": _type,
    "tier": _tier,
    "assignee": _assignee,
    "assigned": _assignee,
    "org": _org,
    "organization": _org,
    "requester": _requester,
    "from": _requester,
    "watching": _watching,
    "watcher": _watching,
    "due": _due,
    "escalation": _escalation,
    "sla": _sla,
    "responded": _responded,
}
