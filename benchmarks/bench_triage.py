"""Accuracy and speed of smart triage on a hand-labelled set.

Run by hand (not part of the tests)::

    .venv/bin/python benchmarks/bench_triage.py            # accuracy and speed
    .venv/bin/python benchmarks/bench_triage.py --errors   # also list the misses (dev split)
    .venv/bin/python benchmarks/bench_triage.py --big      # also train on the 1M-ticket store
    .venv/bin/python benchmarks/bench_triage.py --heldout tests/data/triage_heldout.jsonl
    .venv/bin/python benchmarks/bench_triage.py --heldout tests/data/triage_heldout2.jsonl
    .venv/bin/python benchmarks/bench_triage.py --heldout tests/data/triage_heldout*.jsonl
    .venv/bin/python benchmarks/bench_triage.py --dev tests/data/triage_dev_multilingual.jsonl
    .venv/bin/python benchmarks/bench_triage.py --speed-against 0a510c6

--heldout scores a set the rules' author never read: aggregate figures only (per field,
per language, beside the trivial baseline), and the learning gain: a store of its half
"a" (resolved, with its labels as the team's own) teaching the scoring of half "b". It
never lists a ticket of that set (--errors refuses). --dev does the same for the
author's own multilingual development set, and may list its misses.

The set is tests/data/triage_labelled.jsonl: realistic tickets written and labelled by
hand from the seeds' policy definitions (priority examples, ticket types, tier scopes),
not from the rules' output. Rows alternate between a "dev" split (looked at while the
rules were tuned) and a "test" split (never looked at): the test figures are the honest
ones.

The learned part is measured two ways, each trained on tickets disjoint from the ones
scored:

- cross-validated: five folds of the labelled set, each scored by an index of the other
  four (what a store's own history teaches, on a small scale);
- demo store: an index of the resolved tickets of a generated demo store (16 scenarios,
  300 tickets), the data a first run of the app learns from.

Speed: suggestions per second (rules only, and with an index of 5,000 past tickets), and
the service's training time (store reads and index build) on benchmarks/data/bench-1000.db
when it exists (written by bench_store.py --tickets 1000). --speed-against COMMIT... times
the rules alone of those commits and of this tree side by side, in turns, on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from helpdesk_tui.domain.model import Agent, Environment, Priority, Role, Status, Ticket, TicketType
from helpdesk_tui.domain.triage import Suggestion, TicketIndex, suggest
from helpdesk_tui.domain.triage.rules import _ACCENTS, language_of, normalise
from helpdesk_tui.service.triage import shipped_model
from helpdesk_tui.store.base import Query

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "triage_labelled.jsonl"
DATA = ROOT / "benchmarks" / "data"
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Example:
    id: int
    split: str
    ticket: Ticket
    """The ticket as it arrives: text and impact fields, the policy's default labels."""
    truth: Ticket
    """The same ticket with the labelled priority, type and tier (as if resolved)."""
    language: str = "en"


def load(path: Path = LABELLED, first_id: int = 0) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        row.setdefault("split", "a" if number % 2 == 0 else "b")
        row["id"] = first_id + number
        env = row.get("environment")
        ticket = Ticket(
            key=f"LB-{row['id']}",
            subject=row["subject"],
            description=row["description"],
            affected_users=row.get("affected_users"),
            environment=Environment(env) if env else None,
        )
        truth = ticket.with_changes(
            priority=Priority(row["priority"]),
            type=TicketType(row["type"]),
            tier=int(row["tier"]),
            status=Status.CLOSED,
        )
        language = row.get("language") or row.get("lang")
        if not language:
            text = normalise(f"{ticket.subject} {ticket.description}").translate(_ACCENTS)
            language = language_of(text)
        examples.append(Example(row["id"], row["split"], ticket, truth, str(language)))
    return examples


@dataclass(slots=True)
class Score:
    n: int = 0
    priority: int = 0
    within_one: int = 0
    type: int = 0
    tier: int = 0
    all_three: int = 0

    def add(self, got: Suggestion, truth: Ticket) -> None:
        # A field with no suggestion counts as a miss: nothing was offered for it.
        offered = [source != "none" for source in got.sources]
        self.n += 1
        hits = (
            offered[0] and got.priority is truth.priority,
            offered[1] and got.type is truth.type,
            offered[2] and got.tier == truth.tier,
        )
        self.priority += hits[0]
        self.within_one += offered[0] and abs(got.priority.rank - truth.priority.rank) <= 1
        self.type += hits[1]
        self.tier += hits[2]
        self.all_three += all(hits)

    def row(self, name: str) -> str:
        def pct(k: int) -> str:
            return f"{100 * k / self.n:5.1f}%" if self.n else "    -"

        cells = (self.priority, self.within_one, self.type, self.tier, self.all_three)
        return f"{name:<34} {self.n:>4} " + " ".join(f"{pct(k):>9}" for k in cells)


HEADER = f"{'':<34} {'n':>4} {'priority':>9} {'within 1':>9} {'type':>9} {'tier':>9} {'all 3':>9}"

Predict = Callable[[Example], Suggestion]


def score(examples: Sequence[Example], predict: Predict, split: str | None) -> Score:
    result = Score()
    for example in examples:
        if split is None or example.split == split:
            result.add(predict(example), example.truth)
    return result


def cross_validated(examples: Sequence[Example], use_rules: bool) -> dict[int, Suggestion]:
    """Each example scored by an index of the other folds only."""
    out: dict[int, Suggestion] = {}
    for fold in range(FOLDS):
        train = [e.truth for e in examples if e.id % FOLDS != fold]
        index = TicketIndex.build(train)
        for example in examples:
            if example.id % FOLDS == fold:
                out[example.id] = suggest(example.ticket, index, use_rules=use_rules)
    return out


def sklearn_cv(examples: Sequence[Example]) -> dict[int, Suggestion]:
    """Rules with the scikit-learn model of the other folds (as the service trains it)."""
    from helpdesk_tui.service.triage_learning import Children, learn

    out: dict[int, Suggestion] = {}
    for fold in range(FOLDS):
        learner = learn((e.truth for e in examples if e.id % FOLDS != fold), Children())
        for example in examples:
            if example.id % FOLDS == fold:
                out[example.id] = suggest(example.ticket, learner=learner)
    return out


def baseline_of(examples: Sequence[Example]) -> dict[int, Suggestion]:
    """The trivial baseline: always each field's most common label in the set."""
    from collections import Counter

    def common(name: str) -> object:
        return Counter(getattr(e.truth, name) for e in examples).most_common(1)[0][0]

    priority, kind, tier = common("priority"), common("type"), common("tier")
    assert isinstance(priority, Priority) and isinstance(kind, TicketType)
    assert isinstance(tier, int)
    guess = Suggestion(priority, kind, tier, 0.0, "", ("rules", "rules", "rules"))
    return {e.id: guess for e in examples}


def by_language(
    examples: Sequence[Example], variants: Sequence[tuple[str, dict[int, Suggestion]]]
) -> None:
    """Aggregate figures only: overall and per language, for each variant."""
    for language in (None, "en", "sv", "pt"):
        chosen = [e for e in examples if language is None or e.language == language]
        print(f"language: {language or 'all'}")
        print(HEADER)
        for name, got in variants:
            print(score(chosen, lambda e, got=got: got[e.id], None).row(name))
        print()


def half_store(examples: Sequence[Example]) -> None:
    """The learning gain: half "a" as the store's resolved tickets, half "b" scored."""
    from helpdesk_tui.service.triage_learning import Children, learn

    taught = [e.truth for e in examples if e.split == "a"]
    scored = [e for e in examples if e.split == "b"]
    learner = learn(taught, Children())
    model = shipped_model()
    rules = {e.id: suggest(e.ticket) for e in scored}
    product = {e.id: suggest(e.ticket, model=model) for e in scored}
    variants = [
        ("trivial baseline (of half b)", baseline_of(scored)),
        ("rules only", rules),
        ("rules + shipped model", product),
    ]
    print(f"learning gain: store of half a ({len(taught)}), half b scored ({len(scored)})")
    if learner is None:
        print("(no model: scikit-learn missing, or fewer tickets in half a than it needs)\n")
    else:
        learned = {e.id: suggest(e.ticket, learner=learner) for e in scored}
        variants.append((f"rules + learned ({len(taught)} of a)", learned))
        both = {e.id: suggest(e.ticket, learner=learner, model=model) for e in scored}
        variants.append((f"rules + model + learned ({len(taught)} of a)", both))
    by_language(scored, variants)


def other_set(paths: Sequence[Path], errors: bool, heldout: bool) -> int:
    if heldout and errors:
        print(
            "--errors is refused with --heldout: the held-out set is scored in aggregate only, "
            "so that nobody tunes the rules to its tickets",
            file=sys.stderr,
        )
        return 2
    examples: list[Example] = []
    for path in paths:  # several sets are scored as one (their ids kept apart)
        examples += load(path, first_id=examples[-1].id + 1 if examples else 0)
    names = ", ".join(path.name for path in paths)
    print(f"{len(examples)} tickets ({names}): aggregate figures\n")
    rules = {e.id: suggest(e.ticket) for e in examples}
    model = shipped_model()
    product = {e.id: suggest(e.ticket, model=model) for e in examples}
    by_language(
        examples,
        [
            ("trivial baseline", baseline_of(examples)),
            ("rules only", rules),
            ("rules + shipped model (the app)", product),
        ],
    )
    half_store(examples)
    if errors:
        for example in examples:
            got, truth = product[example.id], example.truth
            if got.fields() != {"priority": truth.priority, "type": truth.type, "tier": truth.tier}:
                print(
                    f"#{example.id} [{example.language}] {truth.subject[:60]!r}\n"
                    f"    want {truth.priority.short} {truth.type.label} tier {truth.tier}; "
                    f"got {got.label} ({'/'.join(got.sources)}): {got.reason}"
                )
    return 0


def demo_index() -> tuple[TicketIndex, float]:
    """An index of a generated demo store's resolved tickets, and the service's build time."""
    from helpdesk_tui.launch import bootstrap
    from helpdesk_tui.service import HelpdeskService, demo
    from helpdesk_tui.store.sql import SqlRepository

    folder = Path(tempfile.mkdtemp(prefix="bench-triage-"))
    try:
        repo = SqlRepository.open(folder / "demo.db", folder / "files")
        me = repo.save_agent(Agent("bench", "Bench", tier=3, role=Role.LEAD))
        policy = bootstrap.load_policy("default")
        demo.generate(repo, policy, NOW, me.username, 300, seed=7)
        service = HelpdeskService(repo, policy, lambda: NOW, me)
        started = time.perf_counter()
        index = service.triage_index()
        built = time.perf_counter() - started
        repo.close()
        return index, built
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def store_training(path: Path, label: str) -> None:
    from helpdesk_tui.launch import bootstrap
    from helpdesk_tui.service import HelpdeskService
    from helpdesk_tui.store.sql import SqlRepository

    if not path.exists():
        print(f"{label}: {path.name} not found (make it with bench_store.py)")
        return
    repo = SqlRepository.open(path, path.parent / "attachments-unused")
    service = HelpdeskService(
        repo, bootstrap.load_policy("default"), lambda: NOW, Agent("bench", "B", tier=3)
    )
    started = time.perf_counter()
    index = service.triage_index()
    built = time.perf_counter() - started
    tickets = service.query(Query(statuses=frozenset({Status.NEW}), limit=20)).tickets
    timings = []
    for ticket in tickets:
        t0 = time.perf_counter()
        service.triage(ticket.key)
        timings.append(time.perf_counter() - t0)
    repo.close()
    median = statistics.median(timings) * 1000 if timings else float("nan")
    print(
        f"{label}: trained on {len(index):,} resolved tickets in {built:.2f} s"
        f"{' (newest only)' if index.truncated else ''}; "
        f"service.triage(key) median {median:.1f} ms over {len(timings)} new tickets"
    )


def speed(
    examples: Sequence[Example], index: TicketIndex | None, label: str, with_model: bool = False
) -> None:
    tickets = [e.ticket for e in examples]
    rounds = max(1, 2000 // len(tickets))
    model = shipped_model() if with_model else None
    started = time.perf_counter()
    for _ in range(rounds):
        for ticket in tickets:
            suggest(ticket, index, model=model)
    elapsed = time.perf_counter() - started
    print(f"{label}: {rounds * len(tickets) / elapsed:,.0f} suggestions/s")


_TIMER = """
import json, sys, time
from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.domain.triage import suggest
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
tickets = [Ticket(key=f"LB-{n}", subject=r["subject"], description=r["description"],
                  affected_users=r.get("affected_users")) for n, r in enumerate(rows)]
suggest(tickets[0])
started = time.perf_counter()
for _ in range(max(1, 2000 // len(tickets))):
    for ticket in tickets:
        suggest(ticket)
print(max(1, 2000 // len(tickets)) * len(tickets) / (time.perf_counter() - started))
"""


def speed_against(commits: Sequence[str], turns: int = 5) -> int:
    """The rules alone of each commit and of this tree, timed in turns in fresh processes
    (a commit's src/ from `git archive`), the median of each."""
    with tempfile.TemporaryDirectory() as tmp:
        trees: dict[str, Path] = {}
        for commit in commits:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
            )
            (Path(tmp) / commit).mkdir()
            subprocess.run(
                ["tar", "-x", "-C", Path(tmp) / commit], input=archive.stdout, check=True
            )
            trees[commit] = Path(tmp) / commit / "src"
        trees["this tree"] = ROOT / "src"
        rates: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(turns):
            for name, src in trees.items():
                env = {**os.environ, "PYTHONPATH": str(src)}
                out = subprocess.run(
                    [sys.executable, "-c", _TIMER, str(LABELLED)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                    cwd=tmp,
                )
                rates[name].append(float(out.stdout))
    for name, got in rates.items():
        print(
            f"rules only, {name}: {statistics.median(got):,.0f} suggestions/s "
            f"(median of {turns}; {', '.join(f'{r:,.0f}' for r in got)})"
        )
    return 0


def big_index(examples: Sequence[Example], size: int = 5000) -> TicketIndex:
    """5,000 past tickets of realistic length: the labelled ones, reworded and repeated."""
    train = []
    for n in range(size):
        example = examples[n % len(examples)]
        truth = example.truth
        train.append(
            truth.with_changes(
                key=f"BIG-{n}",
                description=f"{truth.description} (case {n}, store {n % 97}, week {n % 52})",
            )
        )
    return TicketIndex.build(train)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the dev split's misses")
    parser.add_argument("--big", action="store_true", help="train on bench-1000000.db too")
    parser.add_argument(
        "--heldout", type=Path, nargs="+", help="score held-out sets, as one (aggregate only)"
    )
    parser.add_argument("--dev", type=Path, help="score another development set")
    parser.add_argument(
        "--speed-against", metavar="COMMIT", nargs="+", help="rules' speed beside COMMITs'"
    )
    args = parser.parse_args(argv)
    if args.speed_against:
        return speed_against(args.speed_against)
    if args.heldout or args.dev:
        return other_set(args.heldout or [args.dev], args.errors, bool(args.heldout))
    examples = load()
    print(f"{len(examples)} labelled tickets ({LABELLED.relative_to(ROOT)})\n")

    demo, demo_built = demo_index()
    rules_only = {e.id: suggest(e.ticket) for e in examples}
    cv_learned = cross_validated(examples, use_rules=False)
    cv_combined = cross_validated(examples, use_rules=True)
    demo_learned = {e.id: suggest(e.ticket, demo, use_rules=False) for e in examples}
    demo_combined = {e.id: suggest(e.ticket, demo) for e in examples}
    variants: list[tuple[str, dict[int, Suggestion]]] = [
        ("rules only", rules_only),
        ("learned only (5-fold CV)", cv_learned),
        ("rules + learned (5-fold CV)", cv_combined),
        ("learned only (demo store)", demo_learned),
        ("rules + learned (demo store)", demo_combined),
        ("rules + scikit-learn (5-fold CV)", sklearn_cv(examples)),
        (
            "rules + shipped model",
            {e.id: suggest(e.ticket, model=shipped_model()) for e in examples},
        ),
    ]
    variants.insert(0, ("trivial baseline (most common)", baseline_of(examples)))
    for split in ("test", "dev", None):
        print(f"split: {split or 'all'}")
        print(HEADER)
        for name, got in variants:
            print(score(examples, lambda e, got=got: got[e.id], split).row(name))
        print()

    if args.errors:
        for example in examples:
            got = rules_only[example.id]
            truth = example.truth
            if example.split == "dev" and (
                got.priority is not truth.priority
                or got.type is not truth.type
                or got.tier != truth.tier
            ):
                print(
                    f"#{example.id} {truth.subject[:60]!r}\n"
                    f"    want {truth.priority.short} {truth.type.label} tier {truth.tier}; "
                    f"got {got.label} ({'/'.join(got.sources)}): {got.reason}"
                )
        print()

    print(f"demo store: service trained on {len(demo)} resolved tickets in {demo_built:.3f} s")
    speed(examples, None, "rules only")
    started = time.perf_counter()
    shipped_model.cache_clear()
    shipped_model()
    print(f"shipped model read in {time.perf_counter() - started:.2f} s")
    speed(examples, None, "rules + shipped model (the app)", with_model=True)
    speed(examples, demo, f"rules + index of {len(demo)}")
    started = time.perf_counter()
    big = big_index(examples)
    print(f"index of {len(big):,} built in {time.perf_counter() - started:.2f} s")
    speed(examples, big, f"rules + index of {len(big):,}")
    store_training(DATA / "bench-1000.db", "bench-1000.db")
    if args.big:
        store_training(DATA / "bench-1000000.db", "bench-1000000.db")
    return 0


if __name__ == "__main__":
    sys.exit(main())
