"""Learning triage from labelled tickets: a logistic regression per field over the
shipped model's own features (`domain/triage/model.py`), turned into a `TriageModel`.

Two users, one fit: `scripts/train_triage.py` trains the model the product ships from the
corpus, and the service trains a store's own model from its resolved tickets, with the
labels this team gave them. Either is then read in pure Python: scikit-learn is needed
to fit, never to suggest.

scikit-learn is optional (`pip install helpdesk-tui[learn]`): it is imported inside `fit`
only, from a worker the first time triage runs on a store (or an hour after), never when
the app or the command line starts. Without it, triage is the rules and the shipped model
and the suggestion says so (`LEARNING_OFF`).
"""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..domain.model import Ticket
from ..domain.triage.model import TriageModel, features, model_text, weighted
from ..domain.triage.votes import FIELDS

LEARNING_OFF = "learning off: install helpdesk-tui[learn] (scikit-learn)"
MIN_TICKETS = 20
"""Fewer resolved tickets than this teach nothing worth showing: rules alone."""
MIN_DF = 2
"""A feature in fewer tickets than this is a name or a typo, not a signal."""
KEEP = 0.1
"""A feature whose weights are all below this (in absolute value) is left out of the
model: the leave-one-file-out scores move by half a point at most, and the shipped file
is a third the size."""
STORE_C = 4.0
"""Inverse regularisation of a store's model: a team's few hundred tickets, each label
weighed by how rare it is (balanced), so a P1 a month still teaches."""


def available() -> bool:
    """Whether scikit-learn is installed (found without importing it)."""
    return importlib.util.find_spec("sklearn") is not None


def fit(
    tickets: Sequence[Ticket],
    labels: Mapping[str, Sequence[str]],
    *,
    c: float,
    balanced: bool = False,
) -> dict[str, Any]:
    """The model of `tickets` in its JSON form (`TriageModel.from_json`), weights rounded
    so that the same tickets give the same model: per field of `labels` (a label per
    ticket; a field with one value only is left out, there is nothing to tell apart)."""
    from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    raw = [features(model_text(ticket)) for ticket in tickets]
    df: Counter[str] = Counter(name for doc in raw for name in doc)
    n = len(raw)
    idf = {
        name: round(math.log((1 + n) / (1 + k)) + 1.0, 5)
        for name, k in sorted(df.items())
        if k >= MIN_DF
    }
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform([weighted(doc, idf) for doc in raw])
    names = vectoriser.get_feature_names_out()
    fields: dict[str, Any] = {}
    for name in FIELDS:
        if name not in labels or len(set(labels[name])) < 2:
            continue
        model = LogisticRegression(
            C=c, max_iter=5000, class_weight="balanced" if balanced else None
        )
        model.fit(matrix, list(labels[name]))
        coef, intercepts = model.coef_, list(model.intercept_)
        if coef.shape[0] == 1:
            # Two labels: one weight for the second against the first. Split evenly, the
            # softmax of (-w/2, w/2) is the logistic of w, as each field is read.
            coef = [-coef[0] / 2, coef[0] / 2]
            intercepts = [-intercepts[0] / 2, intercepts[0] / 2]
        weights = {}
        for j, feature in enumerate(names):
            row = [round(float(coef[i][j]), 4) for i in range(len(intercepts))]
            if max(abs(w) for w in row) >= KEEP:
                weights[str(feature)] = row
        fields[name] = {
            "labels": [str(label) for label in model.classes_],
            "intercepts": [round(float(b), 5) for b in intercepts],
            "weights": weights,
        }
    used = {feature for spec in fields.values() for feature in spec["weights"]}
    return {
        "trained_on": n,
        "idf": {feature: value for feature, value in idf.items() if feature in used},
        "fields": fields,
    }


def learn(tickets: Iterable[Ticket]) -> TriageModel | None:
    """A store's model from its resolved tickets, or None when scikit-learn is missing,
    there are too few tickets, or every field has one value only."""
    done = list(tickets)
    if len(done) < MIN_TICKETS or not available():
        return None
    labels = {name: [_label(getattr(ticket, name)) for ticket in done] for name in FIELDS}
    learned = fit(done, labels, c=STORE_C, balanced=True)
    return TriageModel.from_json(learned) if learned["fields"] else None


def _label(value: object) -> str:
    return str(getattr(value, "value", value))
