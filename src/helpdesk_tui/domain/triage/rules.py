"""The rules engine: which phrase rules and structured fields speak for a ticket."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ..model import Environment, Ticket
from .own_words import own_words
from .phrases import (
    COUNTED_PEOPLE,
    CRIT,
    HIGH,
    LOW,
    MED,
    RULES,
    TYPE_LEAN_CAP,
    TYPE_LEAN_SHARE,
    TYPE_LEANS,
)
from .phrases_pt import COUNTED_PEOPLE as PT_COUNTED
from .phrases_pt import PT_RULES
from .phrases_scope import SCOPE_RULES
from .phrases_sv import COUNTED_PEOPLE as SV_COUNTED
from .phrases_sv import SV_RULES
from .votes import FIELDS, Rule, Vote, priority_vote, tier_vote

ALL_RULES: tuple[Rule, ...] = RULES + SCOPE_RULES + SV_RULES + PT_RULES
"""Every language's table: a ticket is matched against all of them (a Swedish phrase
never occurs by chance in English text, and mixed-language mail is common)."""

GROUP_SIZE = 12
"""Rules are tried in groups of this many, each behind one alternation of all its
phrases: a ticket matches a few rules of some 190, and one scan that finds none of a
group's phrases rules out the whole group (measured: 8 to 16 is twice as fast as one
scan a rule; larger groups lose it again, Python's `re` tries each branch in turn)."""

_Group = tuple[re.Pattern[str], tuple[Rule, ...]]


@cache
def _groups() -> tuple[_Group, ...]:
    """Every table's rules in rule order, each group behind its compiled gate. Compiled
    on first use, not at import: the app's launch does not pay for it."""
    groups: list[_Group] = []
    for table in (RULES + SCOPE_RULES, SV_RULES, PT_RULES):
        for start in range(0, len(table), GROUP_SIZE):
            part = table[start : start + GROUP_SIZE]
            gate = re.compile("|".join(f"(?:{rule.source})" for rule in part))
            groups.append((gate, part))
    return tuple(groups)


@cache
def _pattern(source: str) -> re.Pattern[str]:
    """A rule's own pattern, compiled when its group's gate first opens: most tickets
    open a few gates, and compiling all 190 rules up front doubled the first
    suggestion's wait (Python's `re` compiles in Python)."""
    return re.compile(source)


SCAN_CHARS = 4000
"""Rules and the index read the subject and this much of the description: descriptions
may be tens of KB of pasted logs, and the first screenful says what the ticket is about."""


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that matched, with the words it matched (lowercased, at most 32 chars)."""

    quote: str
    votes: tuple[Vote, ...]


_ACCENTS = str.maketrans("áàâãäåéèêëíìîïóòôõöúùûüçñ", "aaaaaaeeeeiiiiooooouuuucn")


def fold_accents(text: str) -> str:
    """Accents folded one character for one, so a match on the folded text has the same
    span in the text people read (tables are written without accents: "nao", "nere")."""
    return text.translate(_ACCENTS)


_NEGATIONS = {
    "en": r"not|no|nothing|never|none|nor|without|isn't|aren't|wasn't|weren't|don't|doesn't"
    r"|didn't|haven't|hasn't|won't|hardly",
    "sv": r"inte|ej|inget|ingen|inga|aldrig|utan|knappast",
    # Not "no"/"na": in Portuguese they are "in the" ("no sistema").
    "pt": r"nao|nada|sem|nenhum|nenhuma|nunca|nem",
}
NEGATION = {lang: re.compile(rf"\b(?:{words})\b") for lang, words in _NEGATIONS.items()}
_MARKERS = {
    "sv": re.compile(r"\b(?:och|att|det|ar|inte|vi|for|med|pa|som|har|kan|ett|jag|ingen)\b"),
    "pt": re.compile(r"\b(?:nao|que|os|para|com|uma|do|da|em|se|nos|esta|sao|um|mais)\b"),
    "en": re.compile(r"\b(?:the|and|is|to|we|of|it|in|our|this|for|are|not|can|with)\b"),
}


def language_of(folded: str) -> str:
    """ "en", "sv" or "pt": whose common words the (accent-folded) text has most of."""
    counts = {lang: len(marker.findall(folded)) for lang, marker in _MARKERS.items()}
    return max(("en", "sv", "pt"), key=lambda lang: counts[lang])


NEGATION_WORDS = 3
"""A negation this many words before a phrase turns it off ("not urgent", "no outage",
"nothing is broken", "inte brådskande", "não é urgente")."""
_CLAUSE = re.compile(r"[.;:!?]|\b(?:but|men|mas|however|although)\b")


def normalise(text: str) -> str:
    """Lowercase, typographic quotes made plain, whitespace collapsed: what rules read."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def triage_text(ticket: Ticket) -> str:
    """What rules and learning read: the subject and the customer's own words at the
    start of the description (no quoted mail, forwarded headers or signature)."""
    return f"{ticket.subject}. {own_words(ticket.description[:SCAN_CHARS])}"


def negated(folded: str, start: int, language: str = "en") -> bool:
    """A negation word of `language` within NEGATION_WORDS words before `start`, in the
    same clause."""
    before = _CLAUSE.split(folded[max(0, start - 60) : start])[-1]
    words = " ".join(before.split()[-NEGATION_WORDS:])
    return bool(words) and NEGATION[language].search(words) is not None


def rule_hits(ticket: Ticket) -> list[RuleHit]:
    """Every rule that matches the customer's own words or the impact fields, in rule
    order; a phrase after a negation ("not urgent", "no outage") casts no vote."""
    text = normalise(f"{triage_text(ticket)}. {ticket.impact}")
    folded = fold_accents(text)
    language = language_of(folded)
    hits: list[RuleHit] = []
    for gate, rules in _groups():
        first = gate.search(folded)
        if first is None:
            continue
        # The gate tries every phrase at a place before moving on: no rule of the group
        # matches before its first match (and `\b` still sees the character before).
        for rule in rules:
            for match in _pattern(rule.source).finditer(folded, first.start()):
                if not negated(folded, match.start(), language):
                    hits.append(RuleHit(_quote(text[match.start() : match.end()]), rule.votes))
                    break
    hits.extend(_count_hits(text, folded))
    hits.extend(_field_hits(ticket))
    return hits


_COUNT = re.compile(
    rf"\b(\d{{1,6}}) (?:\w+ )?(?:{COUNTED_PEOPLE}|{SV_COUNTED}|{PT_COUNTED})(?:na)?\b"
)
"""A number of people in the customer's words: "12 people", "alla 8 inköpare", "10 pessoas"."""


def _count_hits(text: str, folded: str) -> list[RuleHit]:
    """How many people the customer says are affected, read like `affected_users`: the
    largest number of people named decides (one count, not one vote each)."""
    largest: re.Match[str] | None = None
    for match in _COUNT.finditer(folded):
        if largest is None or int(match.group(1)) > int(largest.group(1)):
            largest = match
    if largest is None:
        return []
    quote = _quote(text[largest.start() : largest.end()])
    count = int(largest.group(1))
    if count >= 200:
        return [RuleHit(quote, (priority_vote(CRIT, 2.0), tier_vote(3, 0.5)))]
    if count >= 6:
        return [RuleHit(quote, (priority_vote(HIGH, 2.0),))]
    return [RuleHit(quote, (priority_vote(MED, 1.5),))]


def _quote(words: str) -> str:
    words = words.strip(" .,;:")
    return words if len(words) <= 32 else words[:31].rstrip() + "…"


def _field_hits(ticket: Ticket) -> list[RuleHit]:
    """What the structured fields say: how many users, which environment, an integration."""
    hits: list[RuleHit] = []
    users = ticket.affected_users
    if users is not None:
        if users >= 200:
            hits.append(
                RuleHit(f"{users} users affected", (priority_vote(CRIT, 2.5), tier_vote(3, 1.0)))
            )
        elif users >= 20:
            hits.append(
                RuleHit(f"{users} users affected", (priority_vote(HIGH, 2.0), tier_vote(2, 0.5)))
            )
        elif users <= 5:
            hits.append(RuleHit(f"{users} users affected", (priority_vote(MED, 1.0),)))
    if ticket.environment in (Environment.UAT, Environment.TEST):
        label = ticket.environment.label.upper() if ticket.environment else ""
        hits.append(
            RuleHit(f"{label} environment", (priority_vote(MED, 1.5), priority_vote(LOW, 0.5)))
        )
    if ticket.integration:
        hits.append(RuleHit("integration named", (tier_vote(3, 1.5),)))
    return hits


def rule_scores(hits: Sequence[RuleHit]) -> dict[str, dict[object, float]]:
    """Per field, the summed weight of every vote for each value."""
    scores: dict[str, dict[object, float]] = {name: {} for name in FIELDS}
    for hit in hits:
        for vote in hit.votes:
            field_scores = scores[vote.field]
            field_scores[vote.value] = field_scores.get(vote.value, 0.0) + vote.weight
    for kind, total in list(scores["type"].items()):
        lean = TYPE_LEANS.get(kind)  # type: ignore[call-overload]
        if lean is not None and total > 0:
            share = min(total, TYPE_LEAN_CAP) * TYPE_LEAN_SHARE
            for field, value in zip(("priority", "tier"), lean, strict=True):
                scores[field][value] = scores[field].get(value, 0.0) + share
    return scores
