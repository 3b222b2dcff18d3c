"""Learning triage from labelled tickets: a logistic regression per field over the
shipped model's own features (`domain/triage/model.py`), turned into a `TriageModel`.

Two users, one fit: `scripts/train_triage.py` trains the model the product ships from the
corpus, and the service trains a store's own model from its resolved tickets, with the
labels this team gave them. Either is then read in pure Python: scikit-learn is needed
to fit, never to suggest.

scikit-learn is optional (`pip install helpdesk-tui[learn]`). A store's model is fitted in
a child process (`learn`): importing scikit-learn, numpy and scipy and fitting 5,000
tickets took the app from 104 MiB to 435 MiB of resident memory, which it kept, and held
the interpreter's lock for seconds while the screen waited. The child gets the texts
and labels on its standard input and answers with the model's bytes; the app and the
command line never import scikit-learn. Without it, triage is the rules and the shipped
model and the suggestion says so (`LEARNING_OFF`).
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..domain.model import Ticket

if TYPE_CHECKING:
    # Imported where used: this module is on the app's launch path (service/triage.py).
    from ..domain.triage.model import TriageModel

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


STORE_FEATURES = 20_000
"""A store's model keeps this many features at most (the ones weighing most): 5,000
tickets of a million-ticket store gave 49,653, and the app, holding the shipped model
too, went over its 120 MB on that store."""


def available() -> bool:
    """Whether scikit-learn is installed (found without importing it)."""
    return importlib.util.find_spec("sklearn") is not None


LEARN_SECONDS = 600
"""The child fitting a store's model is stopped after this long (5,000 tickets take a
few seconds): a stuck child must not keep triage waiting for ever."""


class LearningFailed(Exception):
    """The child fitting the store's model failed; the message says how, in one line."""


def fit(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    *,
    c: float,
    balanced: bool = False,
    most: int | None = None,
) -> dict[str, Any]:
    """The model of `texts` (each a ticket's `model_text`) in its JSON form
    (`TriageModel.from_json`), weights rounded so that the same tickets give the same
    model: per field of `labels` (a label per text; a field with one value only is left
    out, there is nothing to tell apart); with `most`, that many features at most."""
    from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    from ..domain.triage.model import features, weighted
    from ..domain.triage.votes import FIELDS

    raw = [features(text) for text in texts]
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
    if most is not None and len(used) > most:
        # The features that weigh most in any field: the rest moves few verdicts, and
        # each costs memory in every process that reads the model.
        weight = {
            f: max(abs(w) for s in fields.values() for w in s["weights"].get(f, [0])) for f in used
        }
        used = set(sorted(used, key=lambda f: (-weight[f], f))[:most])
        for spec in fields.values():
            spec["weights"] = {f: row for f, row in spec["weights"].items() if f in used}
    return {
        "trained_on": n,
        "idf": {feature: value for feature, value in idf.items() if feature in used},
        "fields": fields,
    }


CHILD = "from helpdesk_tui.service.triage_learning import fit_child; fit_child()"
"""What the child runs (its Python code, after `python -c`)."""


class Children:
    """The learning children of one service, stopped when it closes. A child learning a
    large store runs for a minute, and the app's exit waits for the worker that waits
    for it: the agent's ctrl+q would hang until the child was done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._closed = False

    @contextmanager
    def start(self) -> Iterator[subprocess.Popen[bytes]]:
        with self._lock:
            if self._closed:
                raise LearningFailed("learning failed: the store is closed")
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            self._running.add(child)
        try:
            yield child
        finally:
            with self._lock:
                self._running.discard(child)
            if child.poll() is None:
                child.kill()
                child.wait()

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def stop(self) -> None:
        """Stop every child and start none after this."""
        with self._lock:
            self._closed = True
            for child in self._running:
                child.kill()


def learn(tickets: Iterable[Ticket], children: Children) -> TriageModel | None:
    """A store's model from its resolved tickets, fitted in a child process; None when
    scikit-learn is missing, there are too few tickets, or every field has one value
    only. LearningFailed when the child fails or is stopped (`Children.stop`)."""
    from ..domain.triage.model import TriageModel, model_text
    from ..domain.triage.votes import FIELDS

    done = list(tickets)
    if len(done) < MIN_TICKETS or not available():
        return None
    asked = {
        "texts": [model_text(ticket) for ticket in done],
        "labels": {name: [_label(getattr(t, name)) for t in done] for name in FIELDS},
    }
    try:
        with children.start() as child:
            out, err = child.communicate(json.dumps(asked).encode("utf-8"), LEARN_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LearningFailed(f"learning failed: {error}") from None
    if child.returncode < 0:
        raise LearningFailed("learning failed: stopped")
    if child.returncode != 0:
        said = err.decode("utf-8", "replace").strip().splitlines()
        raise LearningFailed(f"learning failed: {said[-1] if said else child.returncode}")
    if not out:
        return None  # every field had one value only
    try:
        return TriageModel.from_bytes(out)
    except ValueError as error:
        raise LearningFailed(f"learning failed: {error}") from None


def fit_child() -> None:
    """The child of `learn`: texts and labels as JSON on standard input, the model's
    bytes (`TriageModel.to_bytes`) on standard output, nothing when no field can be
    learned."""
    from ..domain.triage.model import TriageModel

    asked = json.loads(sys.stdin.buffer.read())
    learned = fit(asked["texts"], asked["labels"], c=STORE_C, balanced=True, most=STORE_FEATURES)
    if learned["fields"]:
        sys.stdout.buffer.write(TriageModel.from_json(learned).to_bytes())


def _label(value: object) -> str:
    return str(getattr(value, "value", value))
