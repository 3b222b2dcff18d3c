"""The SLA engine: business calendars, policies, and the state of every SLA clock.

Pure Python: no I/O, no wall clock, no framework. Time is a parameter (`now`), and
every instant going in or out is a timezone-aware datetime (naive ones are refused).

- `calendar`: when a clock runs (24/7 or business hours), working-time arithmetic.
- `policy`: a team's targets per priority, its pauses and breach rules; the
  organizations with an agreement (a policy) of their own.
- `parsing`: a policy (and durations like "4h" or "1bd") from TOML text.
- `evaluation`: every clock of a ticket at `now`; the columns a store indexes.
- `formatting`: what "time left" means, and a clock as every SLA cell shows it.
"""

from __future__ import annotations

from .calendar import (
    ALWAYS_CALENDAR_NAME,
    ALWAYS_OPEN,
    WEEKDAYS,
    AlwaysOpenCalendar,
    BusinessCalendar,
    Calendar,
    Window,
)
from .evaluation import TargetStatus, evaluate, evaluate_many, next_due, sla_columns
from .formatting import (
    ClockCell,
    clock_cell,
    format_moment,
    format_remaining,
    format_span,
    list_clock,
    stands_still_before_due,
    ticket_cell,
    time_left,
)
from .parsing import parse_duration, parse_policy
from .policy import (
    CLOCK_NAMES,
    POLICY_ACTOR_LABEL,
    STANDARD_AGREEMENT,
    ActionVerb,
    BreachAction,
    BreachRule,
    ClockState,
    Policy,
    PolicyError,
    PriorityTargets,
    TargetKind,
    TargetSpec,
    WhenWorked,
    WorkedWindow,
    actor_label,
    actor_short,
    agreement_name,
    is_policy_actor,
    organization_key,
    policy_actor,
    with_agreements,
)

__all__ = [
    "ALWAYS_CALENDAR_NAME",
    "ALWAYS_OPEN",
    "CLOCK_NAMES",
    "POLICY_ACTOR_LABEL",
    "STANDARD_AGREEMENT",
    "WEEKDAYS",
    "ActionVerb",
    "AlwaysOpenCalendar",
    "BreachAction",
    "BreachRule",
    "BusinessCalendar",
    "Calendar",
    "ClockCell",
    "ClockState",
    "Policy",
    "PolicyError",
    "PriorityTargets",
    "TargetKind",
    "TargetSpec",
    "TargetStatus",
    "WhenWorked",
    "Window",
    "WorkedWindow",
    "actor_label",
    "actor_short",
    "agreement_name",
    "clock_cell",
    "evaluate",
    "evaluate_many",
    "format_moment",
    "format_remaining",
    "format_span",
    "is_policy_actor",
    "list_clock",
    "next_due",
    "organization_key",
    "parse_duration",
    "parse_policy",
    "policy_actor",
    "sla_columns",
    "stands_still_before_due",
    "ticket_cell",
    "time_left",
    "with_agreements",
]
