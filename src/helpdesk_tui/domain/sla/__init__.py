"""The SLA engine: business calendars, policies, and the state of every SLA clock.

Pure Python: no I/O, no wall clock, no framework. Time is a parameter (`now`), and
every instant going in or out is a timezone-aware datetime (naive ones are refused).

- `calendar`: when a clock runs (24/7 or business hours), working-time arithmetic.
- `policy`: a team's targets per priority, its pauses and breach rules.
- `parsing`: a policy (and durations like "4h" or "1bd") from TOML text.
- `evaluation`: every clock of a ticket at `now`; the columns a store indexes.
- `formatting`: countdowns as a table cell shows them.
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
from .formatting import format_remaining
from .parsing import parse_duration, parse_policy
from .policy import (
    CLOCK_NAMES,
    ActionVerb,
    BreachAction,
    BreachRule,
    ClockState,
    Policy,
    PolicyError,
    PriorityTargets,
    TargetKind,
    TargetSpec,
)

__all__ = [
    "ALWAYS_CALENDAR_NAME",
    "ALWAYS_OPEN",
    "CLOCK_NAMES",
    "WEEKDAYS",
    "ActionVerb",
    "AlwaysOpenCalendar",
    "BreachAction",
    "BreachRule",
    "BusinessCalendar",
    "Calendar",
    "ClockState",
    "Policy",
    "PolicyError",
    "PriorityTargets",
    "TargetKind",
    "TargetSpec",
    "TargetStatus",
    "Window",
    "evaluate",
    "evaluate_many",
    "format_remaining",
    "next_due",
    "parse_duration",
    "parse_policy",
    "sla_columns",
]
