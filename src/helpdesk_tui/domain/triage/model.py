"""The triage model the product ships: a linear classifier per field over the customer's
own words, trained by `scripts/train_triage.py` (scikit-learn) on tickets written from
the seeds' policies in English, Swedish and Portuguese (`tests/data/triage_corpus/`).

Why a model beside the rules: phrase tables read the words their authors thought of, and
on tickets written by someone else they decided 41 % of priorities; a classifier over
word and character n-grams reads inflections, compounds and plain descriptions of harm
it was never told about. The rules still speak where they are sure (a negation, a data
breach); the model's votes weigh like a strong rule's at most (`MODEL_WEIGHT`).

Inference is pure Python (no scikit-learn, no numpy at run time): the features below are
the ones the training script hands scikit-learn, so the weights mean the same here.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Ticket
from .rules import fold_accents, normalise, triage_text
from .votes import FIELDS, field_value

MODEL_WEIGHT = 10.0
"""What a certain model vote weighs: more than the rules' (a strong rule weighs 3), for on
tickets written by other people the model is right far more often; the rules then decide
only where the model is unsure. Leaving one corpus file out, 10 scored best of 3, 6, 10
and 20 (scripts/train_triage.py --cv)."""
MIN_MODEL_PROBABILITY = 0.25
"""A value the model gives less than this casts no vote."""
MIN_EVIDENCE = 0.5
"""How far (in log-odds) the ticket's own words must lead the model to a value for it to
vote. Short or unfamiliar text ("Quantum rig drift again", "Hej, tack") leaves the model
leaning on what is common in its corpus, which is no signal."""
CHAR_SIZES = (3, 4, 5)
"""Character n-grams within words (as scikit-learn's char_wb): Swedish compounds and
Portuguese inflections share them where whole words differ."""

_WORD = re.compile(r"\w+")
_QUIET_WORDS = """a an the and or but to of in on at by for from with as is are was were be been
it its this that we our us i me my you your they them their has have had do does did will would
can could should hi hello dear thanks thank regards please just also very there here
och att det som en ett ar pa for med jag vi har till av om den de sa kan fran men nar eller hej
tack mvh er ni var vara kl
de da do das dos que e o a os as um uma em no na nos nas para com por se mais muito ao aos
ola obrigado obrigada bom dia boa tarde esta estao foi ser tem temos ha"""
_QUIET = frozenset(_QUIET_WORDS.split())
"""Words too common to quote as the reason for a verdict (in the three languages)."""
_PUNCTUATION = ".,:;!?()[]\"'"
_READINGS_KEPT = 64
_FORMAT = 1
"""The model file's layout (`TriageModel.to_bytes`): another layout is refused, not misread."""


def _dull(word: str) -> bool:
    """A word no verdict is quoted for: a common one, or digits ("09:00", a ticket or
    order number), which a store's model may weigh by chance but no agent reads as why."""
    return word in _QUIET or word.isdigit()


def written_text(ticket: Ticket) -> str:
    """The customer's own words, lowercased, accents kept: where quotes are taken from."""
    return normalise(triage_text(ticket))


def model_text(ticket: Ticket) -> str:
    """What the model reads: the customer's own words, lowercased, accents folded."""
    return fold_accents(written_text(ticket))


def features(text: str) -> dict[str, float]:
    """Sublinear term counts (1 + log n) of word 1-2 grams ("w:") and in-word character
    3-5 grams ("c:") of `text` (already `model_text`)."""
    words = _WORD.findall(text)
    counts: Counter[str] = Counter(f"w:{w}" for w in words)
    counts.update(f"w:{a} {b}" for a, b in itertools.pairwise(words))
    for word in text.split():
        padded = f" {word} "
        for size in CHAR_SIZES:
            if len(padded) < size:
                break
            counts.update(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return {name: 1.0 + math.log(n) for name, n in counts.items()}


def weighted(raw: Mapping[str, float], idf: Mapping[str, float]) -> dict[str, float]:
    """TF-IDF over the model's vocabulary, each block (words, characters) scaled to unit
    length on its own, as the training does."""
    return _unit_blocks({name: value * idf[name] for name, value in raw.items() if name in idf})


def _unit_blocks(vector: dict[str, float]) -> dict[str, float]:
    squares = {"w": 0.0, "c": 0.0}
    for name, value in vector.items():
        squares[name[0]] += value * value
    norms = {block: math.sqrt(total) or 1.0 for block, total in squares.items()}
    return {name: value / norms[name[0]] for name, value in vector.items()}


@dataclass(frozen=True, slots=True)
class FieldModel:
    labels: tuple[str, ...]
    intercepts: tuple[float, ...]
    start: int
    """Where this field's weights begin in a feature's row (fields side by side)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One ticket as the model reads it, worked out once for all fields."""

    vector: Mapping[str, float]
    quiet: frozenset[str]
    """Features of common words only (and their character n-grams): no reason to quote,
    no evidence."""
    probabilities: Mapping[str, Sequence[float]]
    written: str
    """The customer's own words as written (lowercase): where quotes are taken from."""
    folded: str
    """`written` with its accents folded, character for character: what was read."""


@dataclass(frozen=True, slots=True)
class TriageModel:
    """A linear classifier per field (the one the product ships, or one learned from a
    store's resolved tickets): `scores` votes like the rules, `words` quotes its reasons.

    Held as flat float arrays, a row of every field's weights per feature: the shipped
    model of 70,000 features loads in 0.07 s and raises the peak memory by 31 MB, where a
    dict of tuples per feature took 1.4 s and 107 MB."""

    index: Mapping[str, int]
    """Feature name → its row."""
    idf: Sequence[float]
    rows: Sequence[float]
    """`width` weights per feature, row after row."""
    fields: Mapping[str, FieldModel]
    trained_on: int
    _leads: dict[tuple[int, int], tuple[int, float] | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Per (feature, field start): the label the feature weighs for most and by how much
    over the next, worked out when a ticket first uses the feature."""
    _read: dict[str, Reading] = field(default_factory=dict, compare=False, repr=False)
    """The last few texts read: `suggest` asks `scores` and then `words` per field."""

    @property
    def width(self) -> int:
        return sum(len(f.labels) for f in self.fields.values())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TriageModel:
        """From the training's form: per field its labels, intercepts and a weight per
        label for each feature it keeps."""
        specs = data["fields"]
        names = sorted(data["idf"])
        index = {name: n for n, name in enumerate(names)}
        fields: dict[str, FieldModel] = {}
        start = 0
        for name, spec in specs.items():
            labels = tuple(str(label) for label in spec["labels"])
            intercepts = tuple(float(b) for b in spec["intercepts"])
            if len(intercepts) != len(labels):
                raise ValueError(f"{name}: {len(labels)} labels, {len(intercepts)} intercepts")
            fields[name] = FieldModel(labels, intercepts, start)
            start += len(labels)
        rows = array("f", bytes(4 * start * len(names)))
        for name, spec in specs.items():
            f = fields[name]
            for feature, weights in spec["weights"].items():
                if len(weights) != len(f.labels):
                    raise ValueError(f"{name}: {feature} has {len(weights)} weights")
                at = index[feature] * start + f.start
                rows[at : at + len(weights)] = array("f", map(float, weights))
        idf = array("f", (float(data["idf"][name]) for name in names))
        return cls(index, idf, rows, fields, int(data["trained_on"]))

    def as_json(self) -> dict[str, Any]:
        """The training's form again (weights rounded as the training rounds them): what
        `scripts/train_triage.py --check` compares."""
        width, names = self.width, sorted(self.index, key=self.index.__getitem__)
        fields: dict[str, Any] = {}
        for name, f in self.fields.items():
            weights: dict[str, list[float]] = {}
            for n, feature in enumerate(names):
                at = n * width + f.start
                row = [round(w, 4) for w in self.rows[at : at + len(f.labels)]]
                if any(row):
                    weights[feature] = row
            fields[name] = {"labels": list(f.labels), "intercepts": list(f.intercepts)}
            fields[name]["weights"] = weights
        idf = {feature: round(self.idf[n], 5) for n, feature in enumerate(names)}
        return {"trained_on": self.trained_on, "idf": idf, "fields": fields}

    def to_bytes(self) -> bytes:
        """The model's file: a JSON header line, the feature names a line each, then
        the idf and the weights as little-endian 32-bit floats, zlib-compressed.
        Deterministic: the same model gives the same bytes."""
        names = sorted(self.index, key=self.index.__getitem__)
        header = {
            "format": _FORMAT,
            "trained_on": self.trained_on,
            "features": len(names),
            "fields": [[n, list(f.labels), list(f.intercepts)] for n, f in self.fields.items()],
        }
        floats = array("f", self.idf)
        floats.extend(self.rows)
        if sys.byteorder == "big":
            floats.byteswap()
        text = json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n" + "\n".join(names)
        body = text.encode("utf-8") + b"\0" + floats.tobytes()
        return zlib.compress(body, 9)

    @classmethod
    def from_bytes(cls, blob: bytes) -> TriageModel:
        """A model from `to_bytes`; ValueError when the bytes are not one."""
        try:
            body = zlib.decompress(blob)
            end = body.find(b"\0")
            if end < 0:
                raise ValueError("not a triage model: no weights")
            # The weights are read in place (a view, not a copy of megabytes).
            packed = memoryview(body)[end + 1 :]
            head, _, listed = body[:end].decode("utf-8").partition("\n")
            header = json.loads(head)
            if not isinstance(header, dict) or header.get("format") != _FORMAT:
                raise ValueError("not a triage model of this version")
            return cls._unpacked(header, listed.split("\n") if listed else [], packed)
        except (zlib.error, UnicodeDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"not a triage model: {error!r}") from None

    @classmethod
    def _unpacked(cls, header: dict[str, Any], names: list[str], packed: memoryview) -> TriageModel:
        fields: dict[str, FieldModel] = {}
        start = 0
        for name, labels, intercepts in header["fields"]:
            fields[str(name)] = FieldModel(tuple(labels), tuple(map(float, intercepts)), start)
            start += len(labels)
        floats = array("f")
        floats.frombytes(packed)
        if sys.byteorder == "big":
            floats.byteswap()
        if len(names) != header["features"] or len(floats) != len(names) * (1 + start):
            raise ValueError("a triage model cut short")
        index = {name: n for n, name in enumerate(names)}
        idf = floats[: len(names)]
        del floats[: len(names)]  # the rows stay where they are read: no second copy
        return cls(index, idf, floats, fields, int(header["trained_on"]))

    def _lead(self, feature: int, f: FieldModel) -> tuple[int, float] | None:
        key = (feature, f.start)
        if key not in self._leads:
            at = feature * self.width + f.start
            row = self.rows[at : at + len(f.labels)]
            ranked = sorted(range(len(row)), key=lambda i: -row[i])
            lead = row[ranked[0]] - row[ranked[1]]
            self._leads[key] = (ranked[0], lead) if lead > 0 else None
        return self._leads[key]

    def telling(self, reading: Reading, name: str, label: str) -> dict[str, float]:
        """The features of the ticket that weigh for `label` of field `name` above every
        other label, with how much: its words and word pairs and the character n-grams
        of its words, common words and their n-grams left out."""
        f = self.fields[name]
        at = f.labels.index(label)
        weighed: dict[str, float] = {}
        for feature, value in reading.vector.items():
            if feature in reading.quiet:
                continue
            lead = self._lead(self.index[feature], f)
            if lead is not None and lead[0] == at:
                weighed[feature] = value * lead[1]
        return weighed

    def _probabilities(self, vector: Mapping[str, float]) -> dict[str, list[float]]:
        """Each field's softmax over its labels."""
        width, rows, index = self.width, self.rows, self.index
        logits = [b for f in self.fields.values() for b in f.intercepts]
        for name, value in vector.items():
            at = index[name] * width
            for i, weight in enumerate(rows[at : at + width]):
                logits[i] += value * weight
        out: dict[str, list[float]] = {}
        for name, f in self.fields.items():
            part = logits[f.start : f.start + len(f.labels)]
            top = max(part)
            exps = [math.exp(x - top) for x in part]
            total = sum(exps)
            out[name] = [e / total for e in exps]
        return out

    def read(self, ticket: Ticket) -> Reading:
        """The ticket as the model reads it."""
        key = f"{ticket.subject}\0{ticket.description}"
        known = self._read.get(key)
        if known is not None:
            return known
        written = written_text(ticket)
        text = fold_accents(written)
        index, idf = self.index, self.idf
        raw = features(text)
        vector = _unit_blocks({n: v * idf[index[n]] for n, v in raw.items() if n in index})
        meaningful = " ".join(w for w in text.split() if not _dull(w.strip(_PUNCTUATION)))
        spoken = {f for f in features(meaningful) if f[0] == "c"}
        quiet = frozenset(
            name
            for name in vector
            if (name[0] == "c" and name not in spoken)
            or (name[0] == "w" and all(_dull(word) for word in name[2:].split()))
        )
        reading = Reading(vector, quiet, self._probabilities(vector), written, text)
        if len(self._read) >= _READINGS_KEPT:
            self._read.clear()
        self._read[key] = reading
        return reading

    def scores(self, ticket: Ticket) -> dict[str, dict[object, float]]:
        """Per field, MODEL_WEIGHT times the probability of each likely value, for the
        values the ticket's own words lead the model to by MIN_EVIDENCE (a model leaning
        on its intercepts alone, on a "Hello, thanks" ticket, is no signal)."""
        reading = self.read(ticket)
        out: dict[str, dict[object, float]] = {name: {} for name in FIELDS}
        for name, field_model in self.fields.items():
            for label, p in zip(field_model.labels, reading.probabilities[name], strict=True):
                if p < MIN_MODEL_PROBABILITY:
                    continue
                telling = self.telling(reading, name, label)
                # Some word to quote, too: a verdict from character n-grams alone could
                # not say which of the customer's words it used.
                quotable = any(feature[0] == "w" for feature in telling)
                if quotable and sum(telling.values()) >= MIN_EVIDENCE:
                    out[name][field_value(name, label)] = MODEL_WEIGHT * p
        return out

    def words(self, ticket: Ticket, name: str, value: object) -> tuple[str, ...]:
        """The ticket's own words (as the customer wrote them) that spoke most for
        `value` of field `name`."""
        field_model = self.fields.get(name)
        label = str(getattr(value, "value", value))
        if field_model is None or label not in field_model.labels:
            return ()
        reading = self.read(ticket)
        telling = self.telling(reading, name, label)
        words = [feature[2:] for feature in telling if feature[0] == "w"]
        best = sorted(words, key=lambda w: telling["w:" + w], reverse=True)
        return tuple(_as_written(reading, words) for words in _phrases(best))


def _phrases(telling: Sequence[str], most: int = 3) -> list[str]:
    """The first `most` of `telling` (best first), a word already inside a chosen pair
    left out, and a pair taking the place of its word ("nobody" then "nobody can" gives
    "nobody can")."""
    chosen: list[str] = []
    for words in telling[: most * 3]:
        inside = set(words.split())
        if any(inside <= set(c.split()) for c in chosen):
            continue
        chosen = [c for c in chosen if not set(c.split()) <= inside]
        chosen.append(words)
        if len(chosen) == most:
            break
    return chosen


def _as_written(reading: Reading, words: str) -> str:
    """`words` (lowercase, accents folded) as they stand in the ticket (accents kept):
    the quote is the customer's spelling. Folding maps one character to one, so the span
    in the folded text is the span in the written one."""
    match = re.search(rf"\b{re.escape(words)}\b", reading.folded)
    return reading.written[match.start() : match.end()] if match else words
