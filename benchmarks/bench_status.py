"""Benchmark `helpdesk-tui status` (issue 19): the answer in-process, and the whole command.

Run by hand (not part of the tests), on the million-ticket stores bench_store.py made::

    .venv/bin/python benchmarks/bench_status.py \\
        --sqlite benchmarks/data/bench-1000000.db \\
        --pg postgresql+psycopg://helpdesk@127.0.0.1:55432/bench1m

Measures, with medians over --runs runs, SQLite and PostgreSQL side by side:
- the answer: `HelpdeskService.standing()` on a service already open, as a status line's
  every poll asks it (target ≤ 50 ms on 1M tickets);
- the command: `helpdesk-tui status` as a process, start to exit (Python's start, the
  imports, opening the store, the answer);
- the kept line: `helpdesk-tui status --max-age 300` as a process, its line kept by the
  call before (what a tmux status line runs between two refreshes);
- the floor: `python -c pass`, in the same run.

The agent: on SQLite bench_tui.py's lead (`bench-lead`, holding 60 open tickets); on
PostgreSQL one of the generated assignees (`agent170`, the most open tickets). bench1m
has no agent rows: the command makes `agent170` on its first run (the first user of an
empty agents table becomes its admin, with a database login of its own), and this
script removes both afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from bench_tui import AGENT as SQLITE_AGENT
from bench_tui import data_dir_for

from helpdesk_tui.domain.model import Agent, Role
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.store.sql import SqlRepository

PG_AGENT = "agent170"
SCRIPT = Path(sys.executable).with_name("helpdesk-tui")
TARGET_MS = 50.0


def median_ms(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def answer_ms(url: str, attachments: Path, agent: str, runs: int) -> tuple[float, str]:
    """The in-process call on an open store; the first call (cold connection) is left out."""
    repo = SqlRepository.open(url, attachments, migrate=False)
    me = Agent(agent, agent, tier=3, role=Role.LEAD)
    service = HelpdeskService(repo, load_policy("default"), lambda: datetime.now(UTC), me)
    try:
        first = service.standing()
        counts = f"P1:{first.new_p1} breached:{first.breached} at-risk:{first.at_risk}"
        counts += f" @:{first.mentions} capped:{','.join(sorted(first.capped)) or '-'}"
        return median_ms(service.standing, runs), counts
    finally:
        repo.close()


def command_ms(env: dict[str, str], runs: int, *words: str) -> tuple[float, float, str]:
    """The process's wall time and its CPU time (user + system, which a loaded machine
    inflates less), medians in ms; and the line it printed. `words`: more of the
    command line (`--max-age 300`: the line kept by the first, warming call)."""
    cpu: list[float] = []

    def once() -> subprocess.CompletedProcess[str]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [str(SCRIPT), "status", *words], env=env, capture_output=True, text=True, check=False
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        cpu.append(used * 1000)
        return done

    shown = once()  # warms the config cache and the page cache
    if shown.returncode not in (0, 1, 3):
        raise SystemExit(f"status failed ({shown.returncode}): {shown.stderr.strip()}")
    cpu.clear()
    wall = median_ms(once, runs)
    return wall, statistics.median(cpu), shown.stdout.strip()


def base_env(data_dir: Path, agent: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(HELPDESK_TUI_DATA_DIR=str(data_dir), HELPDESK_AGENT=agent)
    return env


def pg_env(url: str, folder: Path) -> dict[str, str]:
    config = folder / "helpdesk-tui.toml"
    config.write_text(f'[backend]\nurl = "{url}"\n')
    env = base_env(folder / "data", PG_AGENT)
    env["HELPDESK_TUI_CONFIG"] = str(config)
    env["HELPDESK_TUI_CACHE_DIR"] = str(folder / "cache")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path, default=Path("benchmarks/data/bench-1000000.db"))
    parser.add_argument("--pg", default="postgresql+psycopg://helpdesk@127.0.0.1:55432/bench1m")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    rows: list[tuple[str, float, float, float, float, str, str]] = []
    floor = median_ms(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 11)

    data_dir = data_dir_for(args.sqlite)
    answer, counts = answer_ms(
        f"sqlite:///{args.sqlite.resolve()}", data_dir / "attachments", SQLITE_AGENT, args.runs
    )
    env = base_env(data_dir, SQLITE_AGENT)
    env["HELPDESK_TUI_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-status-")
    command, cpu, line = command_ms(env, args.runs)
    kept = command_ms(env, args.runs, "--max-age", "300")[0]
    rows.append(("SQLite", answer, command, cpu, kept, counts, line))

    if args.pg:
        engine = sa.create_engine(args.pg)
        with engine.connect() as conn:
            had_agent = conn.execute(
                sa.text("SELECT count(*) FROM agents WHERE username = :u"), {"u": PG_AGENT}
            ).scalar_one()
            had_login = conn.execute(
                sa.text("SELECT count(*) FROM pg_roles WHERE rolname = :u"), {"u": PG_AGENT}
            ).scalar_one()
        folder = Path(tempfile.mkdtemp(prefix="bench-status-"))
        try:
            answer, counts = answer_ms(args.pg, folder / "files", PG_AGENT, args.runs)
            env = pg_env(args.pg, folder)
            command, cpu, line = command_ms(env, args.runs)
            kept = command_ms(env, args.runs, "--max-age", "300")[0]
            rows.append(("PostgreSQL", answer, command, cpu, kept, counts, line))
        finally:
            # What the command's first run made: the agent row and its database login.
            with engine.begin() as conn:
                if not had_agent:
                    conn.execute(sa.text("DELETE FROM agents WHERE username = :u"), {"u": PG_AGENT})
                if not had_login:
                    conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{PG_AGENT}"')
            engine.dispose()

    print(f"medians of {args.runs} runs; python -c pass: {floor:.0f} ms")
    head = f"{'store':<11} {'answer ms':>10} {'≤ 50?':>6} {'command ms':>11} {'its CPU':>8}"
    print(f"{head} {'kept line ms':>13} {'≤ 50?':>6}")
    for name, answer, command, cpu, kept, counts, line in rows:
        verdict = "yes" if answer <= TARGET_MS else "NO"
        fast = "yes" if kept <= TARGET_MS else "NO"
        print(
            f"{name:<11} {answer:>10.1f} {verdict:>6} {command:>11.0f} {cpu:>8.0f}"
            f" {kept:>13.1f} {fast:>6}"
        )
        print(f"{'':<11} standing(): {counts}; the command printed: {line}")


if __name__ == "__main__":
    main()
