"""What a rule is: phrases that cast weighted votes for a field's value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Priority, TicketType

FIELDS = ("priority", "type", "tier")


@dataclass(frozen=True, slots=True)
class Vote:
    field: str
    value: object
    weight: float


@dataclass(frozen=True, slots=True)
class Rule:
    source: str
    votes: tuple[Vote, ...]

    @property
    def pattern(self) -> re.Pattern[str]:
        # Compiled on first use (then from re's cache): compiling every rule at import
        # cost the app's launch tens of milliseconds before any ticket was triaged.
        return re.compile(self.source)


def field_value(name: str, label: str) -> object:
    """A field's value from its label as a model writes it ("critical", "incident", "3")."""
    if name == "priority":
        return Priority(label)
    if name == "type":
        return TicketType(label)
    return int(label)


def priority_vote(value: Priority, weight: float) -> Vote:
    return Vote("priority", value, weight)


def type_vote(value: TicketType, weight: float) -> Vote:
    return Vote("type", value, weight)


def tier_vote(value: int, weight: float) -> Vote:
    return Vote("tier", value, weight)


def phrase_rule(alternatives: Sequence[str], *votes: Vote) -> Rule:
    """A rule matching any of `alternatives` (regular expressions) as whole words."""
    return Rule(r"\b(?:" + "|".join(alternatives) + r")\b", votes)
