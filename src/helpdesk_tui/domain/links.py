"""Links between tickets: related, parent and child, problem and incident.

A link is stored once, from its source to its target, and read from either end: the
child says "child of HD-7", its parent says "parent of HD-12". Merges and follow-ups are
ticket fields (`merged_into`, `follow_up_of`), shown as links but not made or removed
as links.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .model import canonical_key
from .text import N_


class LinkKind(enum.StrEnum):
    RELATES = "relates"
    """Related (either way round means the same): RT's RefersTo."""
    CHILD_OF = "child_of"
    """The source is part of the target's work: RT's MemberOf."""
    INCIDENT_OF = "incident_of"
    """The source is a customer's incident caused by the target problem (ITIL); on RT the
    problem DependsOn its incidents."""
    MERGED_INTO = "merged_into"
    """The source was merged into the target (a field; set by a merge only)."""
    FOLLOW_UP_OF = "follow_up_of"
    """The source was opened as a follow-up of the closed target (a field)."""

    @property
    def editable(self) -> bool:
        """Made and removed as a link (the last two are ticket fields)."""
        return self in EDITABLE


EDITABLE = (LinkKind.RELATES, LinkKind.CHILD_OF, LinkKind.INCIDENT_OF)

# How each end reads a link: (from its source, from its target). English, marked for
# the catalogues: the screens translate them, the command line prints them as they are.
RELATION_NAMES: dict[LinkKind, tuple[str, str]] = {
    LinkKind.RELATES: (N_("related to"), N_("related to")),
    LinkKind.CHILD_OF: (N_("child of"), N_("parent of")),
    LinkKind.INCIDENT_OF: (N_("incident of"), N_("problem of")),
    LinkKind.MERGED_INTO: (N_("merged into"), N_("merged from")),
    LinkKind.FOLLOW_UP_OF: (N_("follow-up of"), N_("followed up by")),
}

# What a person may type for a relation, read from the first ticket: "HD-1 parent-of
# HD-2" is stored as HD-2 child_of HD-1. The second item: the link runs backwards.
RELATIONS: dict[str, tuple[LinkKind, bool]] = {
    "relates": (LinkKind.RELATES, False),
    "related": (LinkKind.RELATES, False),
    "relates-to": (LinkKind.RELATES, False),
    "related-to": (LinkKind.RELATES, False),
    "refers-to": (LinkKind.RELATES, False),
    "child-of": (LinkKind.CHILD_OF, False),
    "member-of": (LinkKind.CHILD_OF, False),
    "parent-of": (LinkKind.CHILD_OF, True),
    "incident-of": (LinkKind.INCIDENT_OF, False),
    "depends-on": (LinkKind.INCIDENT_OF, False),
    "problem-of": (LinkKind.INCIDENT_OF, True),
}

CHOICES = ("relates-to", "child-of", "parent-of", "incident-of", "problem-of")
"""The relations a form offers, in this order."""


class InvalidLink(ValueError):
    """A link that cannot be made; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class TicketLink:
    source: str
    kind: LinkKind
    target: str

    def other(self, key: str) -> str:
        """The ticket at the far end, seen from `key`."""
        return self.target if key == self.source else self.source

    def relation(self, key: str) -> str:
        """What `key` is to the ticket at the far end, in English: "<key> is child of
        <other>" from the child, "<key> is parent of <other>" from its parent."""
        outward, inward = RELATION_NAMES[self.kind]
        return outward if key == self.source else inward

    def same_as(self, other: TicketLink) -> bool:
        """The same link: a "relates" link is the same either way round."""
        if self.kind != other.kind:
            return False
        if (self.source, self.target) == (other.source, other.target):
            return True
        return self.kind is LinkKind.RELATES and (self.source, self.target) == (
            other.target,
            other.source,
        )


def parse_link(first: str, relation: str, second: str) -> TicketLink:
    """ "HD-1 parent-of HD-2" as the stored link (HD-2 child_of HD-1); InvalidLink with
    the relations one may type when `relation` is none of them."""
    word = relation.strip().lower().replace("_", "-").replace(" ", "-")
    if word not in RELATIONS:
        raise InvalidLink(
            f"not a relation: {relation[:40]!r} (expected one of {', '.join(CHOICES)})"
        )
    kind, backwards = RELATIONS[word]
    try:
        one, two = canonical_key(first), canonical_key(second)
    except ValueError as exc:
        raise InvalidLink(str(exc)) from None
    if one == two:
        raise InvalidLink(f"a ticket cannot be linked to itself ({one})")
    return TicketLink(two, kind, one) if backwards else TicketLink(one, kind, two)
