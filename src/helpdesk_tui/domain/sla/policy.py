"""SLA policies: per-priority targets on named calendars, pauses and breach rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta

from ..model import Priority, Status
from ..text import N_
from .calendar import ALWAYS_CALENDAR_NAME, ALWAYS_OPEN, Calendar


class PolicyError(ValueError):
    """A policy that cannot be used; the message is one line naming the offending key."""


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


@dataclass(frozen=True, slots=True)
class BreachRule:
    """What happens when a ticket's target turns at-risk, and when it breaches."""

    on_at_risk: BreachAction | None = None
    on_breach: BreachAction | None = None


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

    def action_for(self, priority: Priority, event: str) -> BreachAction | None:
        """What to do when a `priority` target turns "at_risk" or is "breached"."""
        rule = self.rule(priority)
        if event == "at_risk":
            return rule.on_at_risk
        if event == "breached":
            return rule.on_breach
        raise ValueError(f"unknown SLA event {event!r} (expected at_risk or breached)")


_NO_RULE = BreachRule()
