"""Train the triage model the product ships (src/helpdesk_tui/domain/triage/model.bin).

    .venv/bin/python scripts/train_triage.py          # write the model
    .venv/bin/python scripts/train_triage.py --check  # exit 1 if the file is not what the
                                                      # corpus trains (the tests run this)
    .venv/bin/python scripts/train_triage.py --cv     # leave one corpus file out, in turn
        [--only en1 sv1 ...]      # score only these files (the others still train)
        [--without en7 sv9 ...]   # leave these files out of every training
        [--features N]            # keep N features, not FEATURES

Needs scikit-learn (the `learn` or `test` extra); the app never imports it for this. The
corpus is tests/data/triage_corpus/*.jsonl (tickets written from the seeds' policies by
people who never read the rules, a file per author and language), the engineers' own
multilingual development set and the "dev" half of the labelled set. Never the held-out
sets (tests/data/triage_heldout.jsonl, triage_heldout2.jsonl): they score the result.

The fit is the service's own (`service/triage_learning.py`, which a store's model of its
resolved tickets uses too), over `domain/triage/model.py`'s features, so the weights mean
at run time what they meant here. Deterministic: the same corpus gives the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpdesk_tui.service import triage_learning

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "triage_corpus"
DEV = ROOT / "tests" / "data" / "triage_dev_multilingual.jsonl"
LABELLED = ROOT / "tests" / "data" / "triage_labelled.jsonl"
MODEL = ROOT / "src" / "helpdesk_tui" / "domain" / "triage" / "model.bin"
FIELDS = ("priority", "type", "tier")
C = 10.0
"""Inverse regularisation of each field's logistic regression (chosen by --cv)."""
FEATURES = 70_000
"""The shipped model keeps this many features at most (those weighing most): every
process that suggests holds them, and the app's 120 MB on a million-ticket store counts
them. 3,360 corpus tickets gave 94,392, 8 MB more resident (10 MB at peak) than the
69,780 of 2,160."""


def rows_of(path: Path, tag: str) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row["file"] = tag
            rows.append(row)
    return rows


def corpus() -> list[dict[str, Any]]:
    """The training tickets, each tagged with the file it came from."""
    rows: list[dict[str, Any]] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        rows += rows_of(path, path.stem)
    rows += rows_of(DEV, "dev")
    rows += [r for r in rows_of(LABELLED, "labelled") if r.get("split") == "dev"]
    return rows


def train(rows: Sequence[dict[str, Any]], most: int = FEATURES) -> dict[str, Any]:
    """The model's JSON form (`TriageModel.from_json`), trained on `rows`."""
    from helpdesk_tui.domain.model import Ticket
    from helpdesk_tui.domain.triage.model import model_text

    texts = [
        model_text(Ticket(key="TR-1", subject=r["subject"], description=r["description"]))
        for r in rows
    ]
    labels = {field: [str(r[field]) for r in rows] for field in FIELDS}
    return triage_learning.fit(texts, labels, c=C, most=most)


def dumped(model: dict[str, Any]) -> bytes:
    """The file's bytes (`TriageModel.to_bytes`): the same model gives the same bytes."""
    from helpdesk_tui.domain.triage.model import TriageModel

    return TriageModel.from_json(model).to_bytes()


KEEP = triage_learning.KEEP


def shipped() -> dict[str, Any] | None:
    """The shipped file's model in its JSON form, or None without a readable one."""
    from helpdesk_tui.domain.triage.model import TriageModel

    try:
        return TriageModel.from_bytes(MODEL.read_bytes()).as_json()
    except (OSError, ValueError):
        return None


TOLERANCE = 2e-3
"""How far a weight may move between two trainings of the same corpus: another numpy,
scipy or BLAS build rounds differently, and a feature at the KEEP line may fall either
side of it."""


def agrees(shipped: dict[str, Any], trained: dict[str, Any]) -> bool:
    """Whether the shipped model is what `trained` is, up to TOLERANCE: the same corpus
    size, labels and vocabulary, and every weight, intercept and idf as near."""
    if shipped["trained_on"] != trained["trained_on"]:
        return False
    for field in FIELDS:
        old, new = shipped["fields"][field], trained["fields"][field]
        if old["labels"] != new["labels"] or not _near(old["intercepts"], new["intercepts"]):
            return False
        zero = [0.0] * len(old["labels"])
        for name in old["weights"].keys() | new["weights"].keys():
            if not _near(old["weights"].get(name, zero), new["weights"].get(name, zero), KEEP):
                return False
    names = shipped["idf"].keys() & trained["idf"].keys()
    return all(abs(shipped["idf"][n] - trained["idf"][n]) <= TOLERANCE for n in names)


def _near(a: Sequence[float], b: Sequence[float], gap: float = 0.0) -> bool:
    """Equal within TOLERANCE, or (a feature one side of the KEEP line) both under
    `gap` + TOLERANCE."""
    if all(abs(x - y) <= TOLERANCE for x, y in zip(a, b, strict=True)):
        return True
    return gap > 0 and max(map(abs, [*a, *b])) <= gap + TOLERANCE


def cross_validate(
    rows: Sequence[dict[str, Any]], only: Sequence[str] = (), most: int = FEATURES
) -> None:
    """Each corpus file (of `only`, if given) scored by a model trained on the others
    (rules beside it)."""
    from helpdesk_tui.domain.model import Ticket
    from helpdesk_tui.domain.triage import suggest
    from helpdesk_tui.domain.triage.model import TriageModel

    order = ["critical", "high", "medium", "low"]
    tally: Counter[tuple[str, str]] = Counter()
    for held in sorted(set(only) or {r["file"] for r in rows} - {"dev", "labelled"}):
        model = TriageModel.from_json(train([r for r in rows if r["file"] != held], most))
        for r in (r for r in rows if r["file"] == held):
            ticket = Ticket(key="TR-1", subject=r["subject"], description=r["description"])
            for who, got in (("rules", suggest(ticket)), ("both", suggest(ticket, model=model))):
                # A field with no suggestion is a miss, as in benchmarks/bench_triage.py.
                offered = got.fields()
                priority = getattr(offered.get("priority"), "value", None)
                near = priority is not None and (
                    abs(order.index(priority) - order.index(r["priority"])) <= 1
                )
                for lang in (r.get("language", "en"), "all"):
                    tally[(who, lang + " n")] += 1
                    tally[(who, lang + " priority")] += priority == r["priority"]
                    tally[(who, lang + " within 1")] += near
                    tally[(who, lang + " type")] += (
                        getattr(offered.get("type"), "value", None) == r["type"]
                    )
                    tally[(who, lang + " tier")] += offered.get("tier") == r["tier"]
    for who in ("rules", "both"):
        for lang in ("all", "en", "sv", "pt"):
            n = tally[(who, lang + " n")]
            if not n:  # `--only` named no file of this language
                continue
            cells = [100 * tally[(who, f"{lang} {k}")] / n for k in FIELDS[:1]]
            cells += [100 * tally[(who, f"{lang} {k}")] / n for k in ("within 1", "type", "tier")]
            print(f"{who:5} {lang:3} {n:4} " + " ".join(f"{c:5.1f}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--only", nargs="+", default=[], metavar="FILE")
    parser.add_argument("--without", nargs="+", default=[], metavar="FILE")
    parser.add_argument("--features", type=int, default=FEATURES)
    args = parser.parse_args(argv)
    rows = corpus()
    if args.cv:
        named = {r["file"] for r in rows}
        unknown = sorted(set(args.only + args.without) - named)
        if unknown:
            parser.error(f"no corpus file {', '.join(unknown)}")
        if set(args.only) & set(args.without):
            parser.error("a file is both scored (--only) and left out (--without)")
        rows = [r for r in rows if r["file"] not in args.without]
        cross_validate(rows, args.only, args.features)
        return 0
    model = train(rows)
    if args.check:
        kept = shipped()
        same = kept is not None and agrees(kept, model)
        print(f"{MODEL.name} is {'what the corpus trains' if same else 'stale: run this script'}")
        return 0 if same else 1
    data = dumped(model)
    MODEL.write_bytes(data)
    print(f"wrote {MODEL.relative_to(ROOT)}: {len(rows)} tickets, {len(data) // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
