"""Learning from the store: a scikit-learn text classifier per triage field, trained on
the resolved tickets with the labels this team gave them.

scikit-learn is optional (`pip install helpdesk-tui[learn]`): it is imported here, and
this module only inside `train`, called from a worker the first time triage runs, never
when the app or the command line starts. Without it, triage is the rules alone and the
suggestion says so (`LEARNING_OFF`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from typing import Any

from ..domain.model import Ticket
from ..domain.triage.index import STOPWORDS
from ..domain.triage.rules import triage_text
from ..domain.triage.votes import FIELDS, field_value

LEARNING_OFF = "learning off: install helpdesk-tui[learn] (scikit-learn)"
MIN_TICKETS = 20
"""Fewer resolved tickets than this teach nothing worth showing: rules alone."""
LEARNED_WEIGHT = 10.0
"""What a certain vote of this store's model weighs: as much as the shipped model's
(domain/triage/model.py MODEL_WEIGHT), so of the two the surer decides (a strong rule
weighs 3). Twice as much let a few hundred of a team's tickets overrule a model of
thousands where it was only a little surer: on 720 tickets by six authors who wrote
neither, learning from half and scoring the other half, weight 20 lost 2.3 points of
priority and 2.2 of tier against the shipped model alone; 10 gains 1.7 of tier and 0.9
of type and loses 1.4 of priority (benchmarks/bench_triage.py --dev
tests/data/triage_unseen_authors.jsonl)."""
MIN_PROBABILITY = 0.4
"""A value the model gives less than this casts no vote: a guess, not a lesson."""


def available() -> bool:
    """Whether scikit-learn is installed (found without importing it)."""
    return importlib.util.find_spec("sklearn") is not None


class SklearnLearner:
    """TF-IDF over the customer's own words (word 1-2 grams and character 3-5 grams, so
    Swedish and Portuguese inflections match) and one logistic regression per field."""

    def __init__(self, vectoriser: Any, models: dict[str, Any], size: int) -> None:
        self._vectoriser = vectoriser
        self._models = models
        self.size = size

    @classmethod
    def train(cls, tickets: Iterable[Ticket]) -> SklearnLearner | None:
        """A learner from resolved tickets, or None when scikit-learn is missing or there
        are too few tickets (or a field has one value only: nothing to tell apart)."""
        if not available():
            return None
        from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
        from sklearn.pipeline import FeatureUnion  # type: ignore[import-untyped]

        done = list(tickets)
        if len(done) < MIN_TICKETS:
            return None
        texts = [triage_text(ticket) for ticket in done]
        vectoriser = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                    ),
                ),
            ]
        )
        matrix = vectoriser.fit_transform(texts)
        models: dict[str, Any] = {}
        for name in FIELDS:
            labels = [_label(getattr(ticket, name)) for ticket in done]
            if len(set(labels)) < 2:
                continue
            model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
            model.fit(matrix, labels)
            models[name] = model
        return cls(vectoriser, models, len(done)) if models else None

    def words(self, ticket: Ticket, name: str, value: object) -> tuple[str, ...]:
        """The ticket's words that spoke most for `value` in the model of `name`: what the
        reason quotes (always words of the customer's own text, never a label)."""
        row = self._vectoriser.transform([triage_text(ticket)])
        return self._telling(row.toarray()[0], name, _label(value))

    def _telling(self, dense: Any, name: str, label: str) -> tuple[str, ...]:
        model = self._models.get(name)
        if model is None or label not in (labels := [str(k) for k in model.classes_]):
            return ()
        words = self._vectoriser.transformer_list[0][1].get_feature_names_out()
        if len(labels) == 2:
            coef = (1.0 if labels.index(label) == 1 else -1.0) * model.coef_[0]
        else:
            coef = model.coef_[labels.index(label)]
        weight = dense[: len(words)] * coef[: len(words)]
        telling = [
            n
            for n in range(len(words))
            if weight[n] > 0 and not set(str(words[n]).split()) <= STOPWORDS
        ]
        best = sorted(telling, key=lambda n: -weight[n])
        return tuple(str(words[n]) for n in best[:2])

    def scores(self, ticket: Ticket) -> dict[str, dict[object, float]]:
        """Per field, LEARNED_WEIGHT times the probability of each likely value, for the
        values some word of the ticket's own speaks for (a model leaning on its prior
        alone, on a "Hello, thanks" ticket, is no signal)."""
        row = self._vectoriser.transform([triage_text(ticket)])
        dense = row.toarray()[0]
        out: dict[str, dict[object, float]] = {name: {} for name in FIELDS}
        for name, model in self._models.items():
            for label, probability in zip(model.classes_, model.predict_proba(row)[0], strict=True):
                if probability >= MIN_PROBABILITY and self._telling(dense, name, str(label)):
                    out[name][field_value(name, str(label))] = LEARNED_WEIGHT * float(probability)
        return out


def _label(value: object) -> str:
    return str(getattr(value, "value", value))
