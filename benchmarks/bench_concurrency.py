"""Benchmark conflicting writes: 8 writer processes on the same tickets, SQLite beside PostgreSQL.

Run by hand (not part of the tests)::

    .venv/bin/python benchmarks/bench_concurrency.py \\
        --pg postgresql+psycopg://helpdesk@127.0.0.1:55432/bench_concurrency

The writers are those of tests/store/test_concurrency.py (issue #4, acceptance line 3):
each process opens its own SqlRepository and makes --writes writes to --tickets tickets,
each based on the version it last saw; a ConflictError gives it the current ticket, and
its next write to that ticket is based on that. Every run starts from a fresh store (a
new SQLite file; the PostgreSQL database dropped and created again). For each store it
prints, as the median of --runs runs, the attempts, successful writes and conflicts per
second of wall time (from the moment all writers start until the last one is done).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_store import pg_database
from tests.store.conftest import make_ticket
from tests.store.test_concurrency import WriterLog, run_writers

from helpdesk_tui.store.sql import SqlRepository


def one_run(
    url: str, files: Path, tickets: int, writers: int, writes: int
) -> tuple[float, int, int]:
    """Seconds, successful writes and conflicts of one run on a fresh store at `url`."""
    repo = SqlRepository.open(url, files)
    try:
        keys = [repo.create(make_ticket(n), actor="bench").key for n in range(1, tickets + 1)]
    finally:
        repo.close()
    logs: list[WriterLog] = run_writers(url, files, keys, writers, writes)
    errors = [error for log in logs for error in log.errors]
    if errors:
        raise SystemExit(f"{len(errors)} writes failed, e.g. {errors[0]}")
    seconds = max(log.ended for log in logs) - min(log.started for log in logs)
    written = sum(len(log.successes) for log in logs)
    return seconds, written, sum(len(log.conflicts) for log in logs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=500, help="attempts per writer")
    parser.add_argument("--tickets", type=int, default=3, help="tickets they all write to")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL database of its own")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
    stores: dict[str, Callable[[int], str]] = {
        "SQLite": lambda n: str(work / f"run{n}" / "helpdesk.db"),
    }
    if args.pg:
        stores["PostgreSQL"] = lambda n: pg_database(args.pg, fresh=True)
    print(
        f"{args.writers} writer processes x {args.writes} writes to {args.tickets} tickets, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    results: dict[str, list[tuple[float, int, int]]] = {name: [] for name in stores}
    try:
        for n in range(args.runs):
            for name, fresh in stores.items():  # interleaved: both see the same load
                seconds, written, conflicts = one_run(
                    fresh(n), work / f"files{n}", args.tickets, args.writers, args.writes
                )
                results[name].append((seconds, written, conflicts))
                print(f"  run {n + 1} {name}: {seconds:.1f} s, ", end="")
                print(f"{written} written, {conflicts} conflicts")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        f"{'median of ' + str(args.runs):<16}{'attempts/s':>12}{'written/s':>12}"
        f"{'conflicts/s':>13}{'seconds':>9}"
    )
    for name, runs in results.items():
        rates = [
            statistics.median(rate)
            for rate in zip(*(((w + c) / s, w / s, c / s) for s, w, c in runs), strict=True)
        ]
        median_s = statistics.median(s for s, _, _ in runs)
        print(f"{name:<16}{rates[0]:>12.0f}{rates[1]:>12.0f}{rates[2]:>13.0f}{median_s:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
