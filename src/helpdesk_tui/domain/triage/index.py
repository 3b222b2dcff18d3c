"""What the store's own resolved tickets teach: a TF-IDF index over past tickets.

The nearest neighbours of a new ticket vote with the priority, type and tier those
tickets ended with, and the same index lists similar past tickets for the agent to read.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..model import Priority, Status, Ticket, TicketType
from .rules import SCAN_CHARS
from .votes import FIELDS

LEARNED_WEIGHT = 2.5
"""What the neighbours' vote weighs beside the rules' at most: as much as one strong rule,
when they are close and unanimous. A rule verdict with a wider margin is never overturned."""
MIN_NEIGHBOUR_SCORE = 0.08
"""Cosine similarity below which a past ticket is not listed as like this one."""
MIN_VOTER_SCORE = 0.3
"""Cosine similarity a past ticket needs to vote: a recurring issue, not a shared topic.
(Below it, on the labelled set's test split, the neighbours' votes cost more than they
gave: benchmarks/bench_triage.py.)"""
CLOSE_ENOUGH = 0.7
"""A nearest neighbour this similar counts fully; less similar ones count proportionally."""
NEIGHBOURS = 9
"""How many past tickets vote."""
_TOP_TERMS = 8

Postings = tuple["array[int]", "array[float]"]
"""A term's documents and its weight in each, as two flat arrays: 12 bytes an entry
where a list of (int, float) tuples took 80 (16 MiB for 5,000 tickets, on the heap of
an app meant to stay under 120 MB)."""
_NO_POSTINGS: Postings = (array("i"), array("d"))


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = """a an the and or but if then than so to of in on at by for from with as is are
was were be been being it its this that these those there here we our us i me my you your he
she his her they them their has have had do does did will would can could should may might
must shall am not no yes hi hello dear thanks thank regards best kind please also just very
really about into out up over after before since when while which who whom what where why how
all any some each other such only own same too again still now today"""
STOPWORDS = frozenset(_STOPWORDS.split())


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(word: str) -> str:
    # Enough to make "crashes", "crashing" and "crashed" one word; not a linguist's stemmer.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def _words(ticket: Ticket) -> Iterable[tuple[str, str, int]]:
    """(stem, word, weight) for each indexed word: the subject's count twice (it says what
    the ticket is about), then the start of the description; stop words dropped."""
    for text, weight in ((ticket.subject, 2), (ticket.description[:SCAN_CHARS], 1)):
        for word in _WORD.findall(_fold(text)):
            if len(word) > 1 and word not in STOPWORDS and not word.isdigit():
                yield _stem(word), word, weight


def terms(ticket: Ticket) -> Counter[str]:
    """The index terms of a ticket, with their weighted counts."""
    counts: Counter[str] = Counter()
    for stem, _word, weight in _words(ticket):
        counts[stem] += weight
    return counts


def _spelled(ticket: Ticket, stems: Iterable[str]) -> tuple[str, ...]:
    """Stems as the ticket spells them ("crash" as "crashes"): what people read."""
    spelling: dict[str, str] = {}
    for stem, word, _weight in _words(ticket):
        spelling.setdefault(stem, word)
    return tuple(spelling.get(stem, stem) for stem in stems)


@dataclass(frozen=True, slots=True)
class PastTicket:
    """What the index keeps of a resolved ticket: enough to vote and to be listed."""

    key: str
    subject: str
    status: Status
    priority: Priority
    type: TicketType
    tier: int
    resolved_at: datetime | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> PastTicket:
        return cls(
            ticket.key,
            ticket.subject,
            ticket.status,
            ticket.priority,
            ticket.type,
            ticket.tier,
            ticket.resolved_at or ticket.closed_at,
        )


@dataclass(frozen=True, slots=True)
class SimilarTicket:
    ticket: PastTicket
    score: float
    """Cosine similarity of the TF-IDF vectors, 0..1."""
    shared: tuple[str, ...]
    """The words that weigh most in the match, for the agent to see why."""


class TicketIndex:
    """A TF-IDF index over past tickets, with an inverted list per term.

    Built once from an iterable (the service feeds it pages of the most recent resolved
    and closed tickets) and never changed after: a thread may read it while another
    builds its successor. Memory grows with `max_docs`, not with the store.
    """

    def __init__(
        self,
        docs: list[PastTicket],
        postings: dict[str, Postings],
        idf: dict[str, float],
        tops: list[tuple[tuple[str, float], ...]],
        truncated: bool,
    ) -> None:
        self.docs = docs
        self._postings = postings
        self._idf = idf
        self._tops = tops
        """Each document's heaviest terms: enough to say why two tickets match."""
        self._by_key = {doc.key: n for n, doc in enumerate(docs)}
        self.truncated = truncated
        """True when more tickets were offered than `max_docs`: older ones are not here."""

    @classmethod
    def build(cls, tickets: Iterable[Ticket], max_docs: int = 5000) -> TicketIndex:
        """Index up to `max_docs` tickets (the first ones given: pass the newest first)."""
        docs: list[PastTicket] = []
        counts: list[Counter[str]] = []
        truncated = False
        for ticket in tickets:
            if len(docs) >= max_docs:
                truncated = True
                break
            docs.append(PastTicket.of(ticket))
            counts.append(terms(ticket))
        df: Counter[str] = Counter()
        for doc_terms in counts:
            df.update(doc_terms.keys())
        n = len(docs)
        idf = {term: math.log((1 + n) / (1 + freq)) + 1.0 for term, freq in df.items()}
        postings: dict[str, Postings] = {}
        tops: list[tuple[tuple[str, float], ...]] = []
        for index, doc_terms in enumerate(counts):
            vector = _weights(doc_terms, idf, default_idf=0.0)
            for term, weight in vector.items():
                found = postings.get(term)
                if found is None:
                    found = postings[term] = (array("i"), array("d"))
                found[0].append(index)
                found[1].append(weight)
            tops.append(tuple(heapq.nlargest(_TOP_TERMS, vector.items(), key=_by_weight)))
        return cls(docs, postings, idf, tops, truncated)

    def __len__(self) -> int:
        return len(self.docs)

    def vector(self, ticket: Ticket) -> dict[str, float]:
        """A ticket's unit TF-IDF vector; words never seen weigh as the rarest ones."""
        rarest = math.log(1 + len(self.docs)) + 1.0
        return _weights(terms(ticket), self._idf, default_idf=rarest)

    def neighbours(self, ticket: Ticket, k: int = NEIGHBOURS) -> list[SimilarTicket]:
        """The `k` past tickets most like `ticket` (never itself), most similar first."""
        query = self.vector(ticket)
        scores: dict[int, float] = {}
        for term, weight in query.items():
            docs, weights = self._postings.get(term, _NO_POSTINGS)
            for doc, doc_weight in zip(docs, weights, strict=True):
                scores[doc] = scores.get(doc, 0.0) + weight * doc_weight
        own = self._by_key.get(ticket.key)
        best = heapq.nlargest(
            k + 1,
            ((score, -doc) for doc, score in scores.items() if doc != own),
        )
        found = []
        for score, neg_doc in best[:k]:
            if score < MIN_NEIGHBOUR_SCORE:
                break
            past = self.docs[-neg_doc]
            top = dict(self._tops[-neg_doc])
            shared = sorted((t for t in query if t in top), key=lambda t: (-query[t] * top[t], t))
            found.append(SimilarTicket(past, min(1.0, score), _spelled(ticket, shared[:3])))
        return found

    def similarity(self, ticket: Ticket, other: Ticket) -> SimilarTicket:
        """How alike two tickets are, with this index's word weights (for candidates found
        outside the index, e.g. by the store's full-text search)."""
        a, b = self.vector(ticket), self.vector(other)
        score = sum(weight * b.get(term, 0.0) for term, weight in a.items())
        shared = sorted((t for t in a if t in b), key=lambda t: (-a[t] * b[t], t))[:3]
        return SimilarTicket(PastTicket.of(other), min(1.0, score), _spelled(ticket, shared))

    def distinctive_words(self, ticket: Ticket, n: int = 3) -> list[str]:
        """The ticket's heaviest words (the rarer in the index, the heavier; unknown ones
        weigh most): search terms for candidates older than the index."""
        vector = self.vector(ticket)
        return sorted(vector, key=lambda t: (-vector[t], t))[:n]


def _by_weight(item: tuple[str, float]) -> tuple[float, str]:
    return item[1], item[0]


def _weights(
    counts: Mapping[str, int], idf: Mapping[str, float], default_idf: float
) -> dict[str, float]:
    vector = {
        term: (1.0 + math.log(count)) * idf.get(term, default_idf) for term, count in counts.items()
    }
    norm = math.sqrt(sum(w * w for w in vector.values()))
    if norm == 0:
        return {}
    return {term: w / norm for term, w in vector.items() if w > 0}


def learned_scores(neighbours: Sequence[SimilarTicket]) -> dict[str, dict[object, float]]:
    """Per field, each value's share of the neighbours' vote (weighted by similarity
    squared), scaled by LEARNED_WEIGHT and down when even the nearest is not close."""
    scores: dict[str, dict[object, float]] = {name: {} for name in FIELDS}
    neighbours = [found for found in neighbours if found.score >= MIN_VOTER_SCORE]
    if not neighbours:
        return scores
    closeness = min(1.0, neighbours[0].score / CLOSE_ENOUGH)
    total = sum(found.score * found.score for found in neighbours)
    for name in FIELDS:
        tally = scores[name]
        for found in neighbours:
            value = getattr(found.ticket, name)
            share = found.score * found.score / total
            tally[value] = tally.get(value, 0.0) + LEARNED_WEIGHT * closeness * share
    return scores
