"""SLA policies: per-priority targets on named calendars, pauses and breach rules."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..model import Priority, Status, Ticket
from ..text import N_
from .calendar import ALWAYS_CALENDAR_NAME, ALWAYS_OPEN, Calendar


class PolicyError(ValueError):
    """A policy that cannot be used; the message is one line naming the offending key."""

    @property
    def key_path(self) -> tuple[str, ...]:
        """The dotted key the message starts with, split ("priorities", "high",
        "when_worked"); empty when it names none (a TOML syntax error, say), so that
        whoever holds the text can point at the line."""
        named = _KEY_PREFIX.match(str(self))
        return () if named is None else tuple(named[1].split("."))


_KEY_PREFIX = re.compile(r"^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*): ")


CLOCK_NAMES = (N_("first response"), N_("resolution"), N_("update"))
"""`TargetKind.label`s, marked for the catalogues; the screens translate them."""


class TargetKind(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    UPDATE = "update"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class ClockState(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class ActionVerb(enum.StrEnum):
    NOTIFY = "notify"
    """Tell somebody; the ticket stays where it is."""
    ESCALATE = "escalate"
    """Move the ticket: up to a tier, or to a lead for review."""


_ACTION_TARGETS = ("lead", "tier1", "tier2", "tier3")


@dataclass(frozen=True, slots=True)
class BreachAction:
    """What a breach rule does: `notify:lead`, `escalate:tier3`, ..."""

    verb: ActionVerb
    target: str
    """"lead", or "tier1".."tier3"."""

    @property
    def tier(self) -> int | None:
        """The tier this action addresses, or None when it addresses the team lead."""
        return int(self.target[4:]) if self.target.startswith("tier") else None

    @classmethod
    def parse(cls, text: str) -> BreachAction:
        """Read "notify:lead", "escalate:tier2", ...; raise ValueError on anything else."""
        verb, sep, target = text.strip().lower().partition(":")
        verb = verb.strip()
        target = target.strip().replace(" ", "").replace("_", "")
        if not sep or verb not in ("notify", "escalate") or target not in _ACTION_TARGETS:
            raise ValueError(
                f"cannot read {text!r} as an action "
                "(expected notify: or escalate: followed by lead, tier1, tier2 or tier3)"
            )
        return cls(ActionVerb(verb), target)

    def __str__(self) -> str:
        return f"{self.verb}:{self.target}"


class WhenWorked(enum.StrEnum):
    """What a rule that moves a ticket to another tier does to one an agent is working."""

    NOTIFY = "notify"
    """The ticket stays with its assignee; the leads and the tier the rule names are
    made watchers, and an internal note says what breached."""
    REASSIGN = "reassign"
    """The rule applies as written: the ticket leaves its assignee for the other tier."""


@dataclass(frozen=True, slots=True)
class BreachRule:
    """What happens when a ticket's target turns at-risk, and when it breaches."""

    on_at_risk: BreachAction | None = None
    on_breach: BreachAction | None = None
    when_worked: WhenWorked = WhenWorked.NOTIFY
    """For an `escalate:tierN` action on an assigned ticket being worked (see
    `Policy.is_worked`): notify instead of taking it from its assignee, or reassign."""


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One target: `duration` of working time on `calendar` ("24x7" or a calendar name).

    When `outside_hours_duration` is set, a clock that starts while `hours_calendar`
    is closed gets that duration instead (the "1 h in business hours, 4 h outside" rule).
    """

    duration: timedelta
    calendar: str = ALWAYS_CALENDAR_NAME
    outside_hours_duration: timedelta | None = None
    hours_calendar: str | None = None


@dataclass(frozen=True, slots=True)
class PriorityTargets:
    """The targets for one priority; an absent target is never measured."""

    first_response: TargetSpec | None = None
    resolution: TargetSpec | None = None
    update_every: TargetSpec | None = None


ALWAYS_PAUSE = frozenset({Status.PENDING, Status.RESOLVED})
"""Waiting on the customer never counts, nor does waiting for their confirmation
(which matters once a resolved ticket is reopened)."""


class CompiledTarget:
    """A TargetSpec resolved against the policy's calendars, in float seconds."""

    __slots__ = (
        "always",
        "calendar",
        "ci",
        "hours",
        "kind",
        "risk",
        "risk_out",
        "td",
        "td_out",
        "w",
        "w_out",
    )

    def __init__(self, kind: TargetKind, spec: TargetSpec, policy: Policy, ci: int) -> None:
        self.kind = kind
        self.calendar = policy.calendar(spec.calendar, f"{kind}.calendar")
        self.ci = ci  # stands for `calendar` in per-call caches: cheaper than hashing it
        self.always = self.calendar.always_open
        self.td = spec.duration
        self.w = spec.duration.total_seconds()
        self.risk = self.w * policy.at_risk_share
        self.td_out = spec.outside_hours_duration
        self.w_out = None if self.td_out is None else self.td_out.total_seconds()
        self.risk_out = None if self.w_out is None else self.w_out * policy.at_risk_share
        self.hours: Calendar | None = None
        if self.td_out is not None:
            if spec.hours_calendar is None:
                raise PolicyError(f"{kind}: outside_hours_duration needs hours_calendar")
            self.hours = policy.calendar(spec.hours_calendar, f"{kind}.hours_calendar")
        for what, w in (("duration", self.w), ("outside_hours_duration", self.w_out)):
            if w is not None and not w > 0:
                raise PolicyError(f"{kind}: {what} must be positive")


@dataclass(frozen=True, slots=True)
class Policy:
    """A team's SLA policy: calendars, per-priority targets, pauses and breach rules.

    Treat it as immutable: targets are compiled once, when the policy is made.
    `pause_statuses` always includes pending and resolved.
    """

    name: str
    description: str = ""
    calendars: dict[str, Calendar] = field(default_factory=dict)
    targets: dict[Priority, PriorityTargets] = field(default_factory=dict)
    breach_rules: dict[Priority, BreachRule] = field(default_factory=dict)
    at_risk_share: float = 0.75
    pause_statuses: frozenset[Status] = ALWAYS_PAUSE
    agreements: Mapping[str, Policy] = field(default_factory=dict)
    """The organizations with an SLA agreement of their own (by `organization_key`) and
    its policy; a ticket of any other organization, or of none, is measured by this one.
    Made by `with_agreements`."""
    _compiled: dict[Priority, tuple[CompiledTarget, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not 0 < self.at_risk_share <= 1:
            raise PolicyError(f"at_risk_share must be in (0, 1], got {self.at_risk_share!r}")
        object.__setattr__(self, "pause_statuses", frozenset(self.pause_statuses) | ALWAYS_PAUSE)
        compiled: dict[Priority, tuple[CompiledTarget, ...]] = {}
        cal_index: dict[str, int] = {}
        for priority, spec in self.targets.items():
            parts: list[CompiledTarget] = []
            for kind, target in (
                (TargetKind.FIRST_RESPONSE, spec.first_response),
                (TargetKind.RESOLUTION, spec.resolution),
                (TargetKind.UPDATE, spec.update_every),
            ):
                if target is not None:
                    try:
                        ci = cal_index.setdefault(target.calendar, len(cal_index))
                        parts.append(CompiledTarget(kind, target, self, ci))
                    except PolicyError as exc:
                        raise PolicyError(f"priorities.{priority}.{exc}") from None
            compiled[Priority(priority)] = tuple(parts)
        object.__setattr__(self, "_compiled", compiled)

    def agreement_of(self, organization: str | None) -> Policy | None:
        """The policy of `organization`'s own agreement; None when it has none."""
        if not self.agreements or not organization:
            return None
        return self.agreements.get(organization_key(organization))

    def for_organization(self, organization: str | None) -> Policy:
        """The policy a ticket of `organization` is measured by: its agreement's, else
        this one. Every SLA entry point resolves a ticket's policy through here."""
        if not self.agreements or not organization:
            return self
        return self.agreements.get(organization_key(organization), self)

    def calendar(self, name: str, path: str = "calendar") -> Calendar:
        """The calendar called `name`; "24x7" is always known. PolicyError if unknown."""
        if name == ALWAYS_CALENDAR_NAME:
            return ALWAYS_OPEN
        try:
            return self.calendars[name]
        except KeyError:
            known = ", ".join([ALWAYS_CALENDAR_NAME, *self.calendars])
            raise PolicyError(f"{path}: unknown calendar {name!r} (known: {known})") from None

    def rule(self, priority: Priority) -> BreachRule:
        """The breach rule for `priority` (one that does nothing if none is configured)."""
        return self.breach_rules.get(priority, _NO_RULE)

    @property
    def actor(self) -> str:
        """Who the history names for what this policy's rules did: "sla:<name>"."""
        return policy_actor(self.name)

    def worked_window(self, priority: Priority) -> WorkedWindow:
        """How recent an agent's reply or note must be for a `priority` ticket to count
        as being worked: the update interval; without one, the first-response target
        (the longer of its two durations), since that is how long the policy lets a
        customer wait for an answer; without either, 24 hours on the 24x7 clock."""
        targets = self.targets.get(priority, PriorityTargets())
        if targets.update_every is not None:
            spec, source = targets.update_every, "update_every"
        elif targets.first_response is not None:
            spec, source = targets.first_response, "first_response"
        else:
            return WorkedWindow(WORKED_FALLBACK, ALWAYS_OPEN, "fallback")
        longest = max(spec.duration, spec.outside_hours_duration or spec.duration)
        return WorkedWindow(longest, self.calendar(spec.calendar), source)

    def is_worked(self, ticket: Ticket, last_activity: datetime | None, now: datetime) -> bool:
        """Whether an agent's reply or note at `last_activity` lies within the ticket's
        worked window before `now`, counting only time the ticket's clocks ran: a week
        spent waiting on the customer does not make the agent who asked idle."""
        if last_activity is None:
            return False
        window = self.worked_window(ticket.priority)
        ran = window.calendar.business_seconds(last_activity, now)
        for start, end in _paused_spans(ticket, self.pause_statuses, last_activity, now):
            ran -= window.calendar.business_seconds(start, end)
        return ran <= window.duration.total_seconds()

    def action_for(self, priority: Priority, event: str) -> BreachAction | None:
        """What to do when a `priority` target turns "at_risk" or is "breached"."""
        rule = self.rule(priority)
        if event == "at_risk":
            return rule.on_at_risk
        if event == "breached":
            return rule.on_breach
        raise ValueError(f"unknown SLA event {event!r} (expected at_risk or breached)")


_NO_RULE = BreachRule()

STANDARD_AGREEMENT = N_("standard")
"""The agreement of a ticket whose organization has none of its own."""


def organization_key(organization: str) -> str:
    """How an organization's name is matched to an agreement: exact but for case and
    the spaces around it ("ACME Corp " is "Acme Corp", "Acme" is not "Acme Corp")."""
    return organization.strip().casefold()


def with_agreements(policy: Policy, agreements: Mapping[str, Policy]) -> Policy:
    """`policy`, knowing the policy of each organization (as named in `agreements`)
    that has an agreement of its own. PolicyError, naming the organization, for an empty
    name or two names that match the same organization."""
    keyed: dict[str, Policy] = {}
    named: dict[str, str] = {}
    for organization, terms in agreements.items():
        key = organization_key(organization)
        if not key:
            raise PolicyError(
                f"agreements.{organization!r}: an organization's name cannot be empty"
            )
        if key in named:
            raise PolicyError(
                f"agreements.{organization!r}: the same organization as {named[key]!r}"
                " (names match whatever their case)"
            )
        named[key] = organization
        # An agreement's own agreements would never be consulted: drop them.
        keyed[key] = replace(terms, agreements={}) if terms.agreements else terms
    return replace(policy, agreements=keyed)


def agreement_name(policy: Policy, organization: str | None) -> str:
    """The name of the agreement a ticket of `organization` is under: its policy's name,
    or `STANDARD_AGREEMENT` (untranslated) when it has none of its own."""
    terms = policy.agreement_of(organization)
    return STANDARD_AGREEMENT if terms is None else terms.name


WORKED_FALLBACK = timedelta(hours=24)
"""The worked window of a priority with neither an update nor a first-response target."""


@dataclass(frozen=True, slots=True)
class WorkedWindow:
    """How recent an agent's reply or note must be for a ticket to count as worked."""

    duration: timedelta
    calendar: Calendar
    source: str
    """Where the duration comes from: "update_every", "first_response" or "fallback"."""


def _paused_spans(
    ticket: Ticket, statuses: frozenset[Status], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The ticket's counted pauses clipped to [start, end], merged so none counts twice."""
    spans = sorted(
        (max(p.start, start), min(p.end or end, end)) for p in ticket.pauses if p.status in statuses
    )
    merged: list[tuple[datetime, datetime]] = []
    for s, e in spans:
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


POLICY_ACTOR_PREFIX = "sla:"
"""Audit actors that are a policy, not a login: a username cannot hold a colon."""

POLICY_ACTOR_LABEL = N_("SLA policy {name}")
"""How the history names a policy as an actor."""


def policy_actor(name: str) -> str:
    """The audit actor of what policy `name`'s rules do."""
    return f"{POLICY_ACTOR_PREFIX}{name}"


def is_policy_actor(actor: str | None) -> bool:
    """Whether an audit actor (or `escalated_by`) is a policy's rule, not a person: no
    agent to hand a ticket back to."""
    return actor is not None and actor.startswith(POLICY_ACTOR_PREFIX)


def actor_short(actor: str) -> str:
    """An actor in a narrow column (F3's "By"): a login as it is, a policy as
    "SLA:<name>", so the policy's name survives where "SLA policy <name>" would not."""
    if not is_policy_actor(actor):
        return actor
    return f"SLA:{actor[len(POLICY_ACTOR_PREFIX) :]}"


def actor_label(actor: str, translate: Callable[[str], str] = str) -> str:
    """How an audit actor (or a comment's author) reads: a login as it is, a policy as
    "SLA policy <name>" (`translate` is the screens' `_`; the CLI prints English)."""
    if not is_policy_actor(actor):
        return actor
    return translate(POLICY_ACTOR_LABEL).format(name=actor[len(POLICY_ACTOR_PREFIX) :])
