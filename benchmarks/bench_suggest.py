"""The first triage suggestion of a run: `helpdesk-tui ticket suggest` in a fresh process.

Run by hand:

    .venv/bin/python benchmarks/bench_suggest.py [--runs 9] [--other SRC]

On a store filled by `demo` (300 tickets, about 200 resolved ones to learn from) it
times, in rounds (one of each in turn, so the machine's noise falls on all alike):

- the floor: `helpdesk-tui ticket show` of the same ticket (the command line, the store
  opened, one ticket read: what any command costs);
- suggest, learning: with an empty cache folder (the store's model is learned first);
- suggest, kept: with the model the run before kept in the cache folder.

Each as wall time and peak RSS (`/usr/bin/time`-like, from `resource` of the child).
`--other SRC` runs the same three with another checkout's `src` first on the path (say a
`git worktree` of an older commit), in the same rounds: before and after, side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "HD-300"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one command, run from a process of its own (`_child`):
    the peak of its only child is the command's own."""
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _child(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); from bench_suggest import _run;"
        "print(json.dumps(_run(json.loads(sys.argv[2]), json.loads(sys.argv[3]))))"
    )
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", code, here, json.dumps(args), json.dumps(env)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, rss = json.loads(out.stdout)
    return float(seconds), float(rss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--other", type=Path, help="another checkout's src folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-suggest-"))
    base = dict(os.environ, HELPDESK_TUI_DATA_DIR=str(work / "data"), HELPDESK_AGENT="alice")
    command = [sys.executable, "-m", "helpdesk_tui"]
    subprocess.run([*command, "demo"], env=base, capture_output=True, check=True)
    builds = [("this tree", base)]
    if args.other is not None:
        builds.append((str(args.other), dict(base, PYTHONPATH=str(args.other.resolve()))))
    results: dict[str, list[tuple[float, float]]] = {}
    try:
        for _ in range(args.runs):
            for n, (name, env) in enumerate(builds):
                cache = work / f"cache-{n}"
                env = dict(env, HELPDESK_TUI_CACHE_DIR=str(cache))
                cases = [
                    ("floor: ticket show", [*command, "ticket", "show", KEY]),
                    ("suggest, learning", [*command, "ticket", "suggest", KEY]),
                    ("suggest, kept", [*command, "ticket", "suggest", KEY]),
                ]
                shutil.rmtree(cache, ignore_errors=True)
                for case, cmd in cases:
                    results.setdefault(f"{name}: {case}", []).append(_child(cmd, env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.runs} rounds, median (min-max) seconds, median peak RSS")
    for label, runs in results.items():
        seconds = [s for s, _ in runs]
        rss = statistics.median(r for _, r in runs)
        print(
            f"{label:45} {statistics.median(seconds):6.2f} s "
            f"({min(seconds):.2f}-{max(seconds):.2f})  {rss:6.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
