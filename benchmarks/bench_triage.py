"""Accuracy and speed of smart triage on a hand-labelled set.

Run by hand (not part of the tests)::

    .venv/bin/python benchmarks/bench_triage.py            # accuracy and speed
    .venv/bin/python benchmarks/bench_triage.py --errors   # also list the misses (dev split)
    .venv/bin/python benchmarks/bench_triage.py --big      # also train on the 1M-ticket store

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
when it exists (written by bench_store.py --tickets 1000).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from helpdesk_tui.domain.model import Agent, Environment, Priority, Role, Status, Ticket, TicketType
from helpdesk_tui.domain.triage import Suggestion, TicketIndex, suggest
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


def load(path: Path = LABELLED) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
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
        examples.append(Example(row["id"], row["split"], ticket, truth))
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
        self.n += 1
        hits = (
            got.priority is truth.priority,
            got.type is truth.type,
            got.tier == truth.tier,
        )
        self.priority += hits[0]
        self.within_one += abs(got.priority.rank - truth.priority.rank) <= 1
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


def speed(examples: Sequence[Example], index: TicketIndex | None, label: str) -> None:
    tickets = [e.ticket for e in examples]
    rounds = max(1, 2000 // len(tickets))
    started = time.perf_counter()
    for _ in range(rounds):
        for ticket in tickets:
            suggest(ticket, index)
    elapsed = time.perf_counter() - started
    print(f"{label}: {rounds * len(tickets) / elapsed:,.0f} suggestions/s")


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
    args = parser.parse_args(argv)
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
    ]
    baseline = {
        e.id: Suggestion(Priority.MEDIUM, TicketType.INCIDENT, 1, 0.0, "") for e in examples
    }
    variants.insert(0, ("defaults (P3 incident tier 1)", baseline))
    for split in ("test", "dev", None):
        print(f"split: {split or 'all'}")
        print(HEADER)
        for name, got in variants:
            print(score(examples, lambda e, got=got: got[e.id], split).row(name))
        print()

    if args.errors:
        for example in examples:
            got = cv_combined[example.id]
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
