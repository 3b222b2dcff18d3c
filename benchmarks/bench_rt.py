"""Queue page from RT: our one REST2 search vs RT's own web UI search results page.

Run by hand (needs Debian's request-tracker5 and rt5-db-sqlite installed):

    .venv/bin/python benchmarks/bench_rt.py [--tickets 50] [--runs 9]

It starts a private RT on a free 127.0.0.1 port (tests/store/rt_server.py), creates the
tickets through REST2, then times, side by side in one run and for the same 50 tickets:

- ours, cold: RtRepository.query (cache off): one GET /REST/2.0/tickets with fields=,
  mapped to domain Tickets;
- ours, warm: the same call served from the search cache (nothing changed in RT);
- RT web UI: GET /Search/Results.html?Query=...&RowsPerPage=50 with a logged-in session.

and prints the median (and min/max) of each over --runs runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.store.rt_server import rt_installed, start_rt, stop_rt

from helpdesk_tui.domain.model import Priority, Status, Ticket
from helpdesk_tui.store.base import Query


def timed(runs: int, call: Callable[[], object]) -> list[float]:
    call()  # warm up (connections, RT's caches)
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if not rt_installed():
        print("Request Tracker 5 is not installed (see docs/backends-rt.md)", file=sys.stderr)
        return 2
    server = start_rt(Path(tempfile.mkdtemp(prefix="bench-rt-")))
    try:
        queues = server.create_queues("bench")
        cold = server.repository(queues, cache_seconds=0)
        warm = server.repository(queues, cache_seconds=600)
        statuses = [Status.NEW, Status.OPEN, Status.PENDING]
        for n in range(args.tickets):
            cold.create(
                Ticket(
                    key="",
                    subject=f"Benchmark ticket {n}: printer on fire",
                    description="The copier smokes " * 20,
                    priority=list(Priority)[n % 4],
                    status=statuses[n % 3],
                    requester_email=f"user{n}@example.com",
                    organization="acme",
                ),
                actor="me",
            )
        query = Query(limit=args.tickets)
        assert cold.query(query).total == args.tickets
        sql = " OR ".join(f"Queue = '{name}'" for name in queues)

        web = httpx.Client(base_url=server.url, timeout=60, follow_redirects=True)
        login = web.post("/NoAuth/Login.html", data={"user": "root", "pass": "password"})
        assert login.status_code == 200 and "RT_SID" in str(web.cookies), "web login failed"
        params = {"Query": sql, "RowsPerPage": str(args.tickets), "Order": "ASC", "OrderBy": "id"}
        page = web.get("/Search/Results.html", params=params)
        assert page.status_code == 200 and "Benchmark ticket" in page.text, "UI search failed"
        rows = page.text.count("Benchmark ticket")

        before = cold.requests
        results = {
            "ours (REST2 search, cache off)": timed(args.runs, lambda: cold.query(query)),
            "ours (served from the cache)": timed(args.runs, lambda: warm.query(query)),
            "RT web UI Search/Results.html": timed(
                args.runs, lambda: web.get("/Search/Results.html", params=params)
            ),
        }
        per_page = (cold.requests - before) / (args.runs + 1)
        print(f"{args.tickets} tickets, {args.runs} runs each, RT at {server.url}")
        print(f"(UI page lists {rows} subject cells; our cold page = {per_page:.0f} request)")
        for name, values in results.items():
            print(
                f"  {name:<34} median {statistics.median(values):8.1f} ms"
                f"   min {min(values):8.1f}   max {max(values):8.1f}"
            )
        web.close()
        cold.close()
        warm.close()
    finally:
        stop_rt(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
