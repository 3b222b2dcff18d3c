"""How long does `report` take on a big store? Run by hand (not part of the tests)::

    .venv/bin/python benchmarks/bench_report.py                    # the 1M SQLite store
    .venv/bin/python benchmarks/bench_report.py --tickets 100000 --runs 5
    .venv/bin/python benchmarks/bench_report.py \
        --pg postgresql+psycopg://helpdesk@127.0.0.1:55432/bench1m   # and PostgreSQL
    .venv/bin/python benchmarks/bench_report.py --pg URL --pg-only

Times `metrics.compute` (what `helpdesk-tui report` and the metrics screen run) for the
last ISO week and the last 365 days at the store's clock (bench_store.NOW), both ways
in the same run: the store's sums in SQL (the default) and the old scan that reads
every ticket of the cohort into Python (`in_store=False`). Prints the median wall and
CPU (this process's) time of each, and checks that both gave the same Metrics.

The stores are the ones benchmarks/bench_store.py builds (benchmarks/data/bench-N.db,
and with --pg the database it filled with the same tickets); this opens them as they
are (a pending migration is applied) and writes nothing.

Targets (#18): a week <= 1 s, a year <= 5 s, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.domain.periods import Period
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.reporting import metrics
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.store.base import StoreError
from helpdesk_tui.store.sql import SqlRepository

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_store import DATA, NOW

TARGETS = {"week": 1.0, "year": 5.0}


def periods() -> dict[str, Period]:
    return {"week": Period.week(NOW, None), "year": Period.rolling(NOW, 365)}


def timed(run: Callable[[], metrics.Metrics], runs: int) -> tuple[float, float, metrics.Metrics]:
    """Median wall and CPU seconds of `runs` calls, and the last result."""
    walls: list[float] = []
    cpus: list[float] = []
    result: metrics.Metrics | None = None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return statistics.median(walls), statistics.median(cpus), result


def measure(name: str, repo: SqlRepository, runs: int, scan_runs: int) -> int:
    """Time both paths over each period; returns how many figures missed the target."""
    boss = Agent("bench-boss", "Bench Boss", tier=3, role=Role.ADMIN)
    service = HelpdeskService(repo, load_policy("default"), lambda: NOW, boss)
    misses = 0
    for label, period in periods().items():
        wall, cpu, summed = timed(lambda p=period: metrics.compute(service, p), runs)
        old_wall, old_cpu, scanned = timed(
            lambda p=period: metrics.compute(service, p, in_store=False), scan_runs
        )
        same = "same figures" if summed == scanned else "FIGURES DIFFER"
        target = TARGETS[label]
        verdict = "yes" if wall <= target else "NO"
        misses += wall > target
        print(
            f"{name:<11} {label:<5} {summed.created:>9,} {wall:>9.2f} {cpu:>8.2f}"
            f" {old_wall:>10.2f} {old_cpu:>8.2f} {old_wall / wall:>7.1f}x"
            f"  <= {target:.0f} s: {verdict:<4} {same}"
        )
        misses += summed != scanned
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="which bench store")
    parser.add_argument("--runs", type=int, default=5, help="runs of the SQL path")
    parser.add_argument("--scan-runs", type=int, default=3, help="runs of the old scan")
    parser.add_argument("--pg", metavar="URL", help="also a PostgreSQL store bench_store.py made")
    parser.add_argument("--pg-only", action="store_true", help="skip the SQLite store")
    args = parser.parse_args(argv)
    if args.pg_only and not args.pg:
        parser.error("--pg-only needs --pg URL")
    stores: dict[str, Callable[[], SqlRepository]] = {}
    path = DATA / f"bench-{args.tickets}.db"
    if not args.pg_only:
        if not path.exists():
            parser.error(
                f"no store at {path}: make it with bench_store.py --tickets {args.tickets}"
            )
        stores["SQLite"] = lambda: SqlRepository.open(path)
    if args.pg:
        stores["PostgreSQL"] = lambda: SqlRepository.open(args.pg, DATA / "attachments-pg")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'store':<11} {'what':<5} {'created':>9} {'SQL wall':>9} {'CPU':>8}"
        f" {'scan wall':>10} {'CPU':>8} {'ratio':>8}   (medians, seconds)"
    )
    misses = 0
    for name, opener in stores.items():
        try:
            repo = opener()
        except StoreError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 2
        try:
            misses += measure(name, repo, args.runs, args.scan_runs)
        finally:
            repo.close()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
