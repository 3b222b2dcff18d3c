"""Queue page from RT: ours (REST2) vs RT's own web UI search results page, same run.

Run by hand (needs Debian's request-tracker5 and rt5-db-sqlite installed):

    .venv/bin/python benchmarks/bench_rt.py [--tickets 50] [--runs 15]

It starts a private RT on a free 127.0.0.1 port (tests/store/rt_server.py: rt-server,
a Starlet prefork server of 10 workers that serves REST2 and the web UI alike), creates
the tickets through REST2, then times in rounds (each round one of each, in turn, so
the machine's noise falls on all alike), for the same page of tickets:

- ours, cold: RtRepository.query with the search cache off, as configured by default
  (reads on RT's web session, the page's search split into parallel requests);
- ours, cold, one token request: the same with session_seconds=0 and
  parallel_requests=1: one search request carrying the token (how it was before);
- ours, warm: the same call served from the search cache (nothing changed in RT);
- RT web UI: GET /Search/Results.html?Query=...&RowsPerPage=N with a logged-in session
  (RT's default columns: no custom field), and the same page with our fields as its
  columns (Format= with every custom field the store reads);
- the floor: RT's answer to one REST2 search of the page with our fields, and one with
  our fields but the custom fields (RT's cost of reading them), both on the session.

It prints the median, min and max of each, the CPU time RT's processes spent on each
(from /proc, the mean over the rounds: what a shared machine's noise does not change),
and the HTTP requests of one cold page, each with its time (an httpx transport that
logs every request ours sends).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.store.rt_server import RtServer, rt_installed, start_rt, stop_rt

from helpdesk_tui.domain.model import Priority, Status, Ticket
from helpdesk_tui.store.base import Query
from helpdesk_tui.store.rt import CUSTOM_FIELDS, RtRepository
from helpdesk_tui.store.rt.search import SEARCH_FIELDS


class LoggingTransport(httpx.HTTPTransport):
    """Records (method, path, status, ms) of every request sent through it."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, int, float]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = super().handle_request(request)
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        self.log.append((request.method, request.url.path, response.status_code, elapsed))
        return response


def rt_cpu_ms(root: int) -> float:
    """CPU time (user + system) of rt-server and its worker processes so far, in ms."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if entry.name == str(root) or fields[1] == str(root):
            total += int(fields[11]) + int(fields[12])
    return total * 1000 / tick


def rounds(
    runs: int, calls: dict[str, Callable[[], object]], root: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Each call's wall times, and RT's CPU time a call (its mean over the rounds)."""
    for call in calls.values():
        call()  # warm up (connections, RT's caches, the web session)
    out: dict[str, list[float]] = {name: [] for name in calls}
    cpu = dict.fromkeys(calls, 0.0)
    for _ in range(runs):
        for name, call in calls.items():
            before = rt_cpu_ms(root)
            started = time.perf_counter()
            call()
            out[name].append((time.perf_counter() - started) * 1000)
            cpu[name] += rt_cpu_ms(root) - before
    return out, {name: total / runs for name, total in cpu.items()}


def seed(server: RtServer, queues: dict[str, int], tickets: int) -> None:
    repo = server.repository(queues)
    statuses = [Status.NEW, Status.OPEN, Status.PENDING]
    for n in range(tickets):
        repo.create(
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
    repo.close()


def session_client(server: RtServer, base: str) -> httpx.Client:
    """An httpx client on RT logged in the way RT's web UI is (a session cookie)."""
    web = httpx.Client(base_url=server.url + base, timeout=60, follow_redirects=True)
    login = web.post(server.url + "/NoAuth/Login.html", data={"user": "root", "pass": "password"})
    assert login.status_code == 200 and "RT_SID" in str(web.cookies), "web login failed"
    return web


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if not rt_installed():
        print("Request Tracker 5 is not installed (see docs/backends-rt.md)", file=sys.stderr)
        return 2
    server = start_rt(Path(tempfile.mkdtemp(prefix="bench-rt-")))
    try:
        queues = server.create_queues("bench")
        seed(server, queues, args.tickets)
        traced = LoggingTransport()
        cold = RtRepository.open(
            server.config(queues, cache_seconds=0), server.token, transport=traced
        )
        before = server.config(queues, cache_seconds=0, session_seconds=0, parallel_requests=1)
        one_token = RtRepository.open(before, server.token)
        warm = server.repository(queues, cache_seconds=600)
        query = Query(limit=args.tickets)
        expected = [t.key for t in one_token.query(query).tickets]
        assert len(expected) == args.tickets, "RT did not list every ticket"
        assert [t.key for t in cold.query(query).tickets] == expected
        assert cold.query(query) == one_token.query(query), "the two ways read different tickets"

        sql = " OR ".join(f"Queue = '{name}'" for name in queues)
        web = session_client(server, "")
        params = {"Query": sql, "RowsPerPage": str(args.tickets), "Order": "ASC", "OrderBy": "id"}
        page = web.get("/Search/Results.html", params=params)
        assert page.status_code == 200 and "Benchmark ticket" in page.text, "UI search failed"
        rows = page.text.count("Benchmark ticket")
        columns = ["__id__", "__Subject__", "__Status__", "__Priority__", "__QueueName__"]
        columns += ["__OwnerName__", "__Created__", "__LastUpdated__"]
        columns += [f"__CustomField.{{{name}}}__" for name in CUSTOM_FIELDS.values()]
        ours_as_columns = {**params, "Format": ", ".join(f"'{c}'" for c in columns)}
        same = web.get("/Search/Results.html", params=ours_as_columns)
        assert same.status_code == 200 and "acme" in same.text, "UI search with our fields failed"
        rest = session_client(server, "/REST/2.0/")
        search = [("query", f"({sql})"), ("orderby", "id"), ("order", "ASC")]
        search += [("page", "1"), ("per_page", str(args.tickets))]
        no_cfs = SEARCH_FIELDS.replace(",CustomFields", "")

        requests_before, traced.log[:] = cold.requests, []
        results, rt_cpu = rounds(
            args.runs,
            {
                "ours cold (as configured)": lambda: cold.query(query),
                "ours cold (1 token request)": lambda: one_token.query(query),
                "ours warm (search cache)": lambda: warm.query(query),
                "RT web UI Search/Results.html": lambda: web.get(
                    "/Search/Results.html", params=params
                ),
                "RT web UI, our fields as columns": lambda: web.get(
                    "/Search/Results.html", params=ours_as_columns
                ),
                "floor: 1 REST2 search, our fields": lambda: rest.get(
                    "tickets", params=[*search, ("fields", SEARCH_FIELDS)]
                ),
                "floor: same without CustomFields": lambda: rest.get(
                    "tickets", params=[*search, ("fields", no_cfs)]
                ),
            },
            server.process.pid,
        )
        per_page = (cold.requests - requests_before) / (args.runs + 1)
        one_page = traced.log[-round(per_page) :] if per_page else []
        print(f"{args.tickets} tickets, {args.runs} rounds, RT at {server.url}")
        print(f"(parallel_requests = {cold.config.parallel_requests}, load {os.getloadavg()})")
        print(f"(the UI page lists {rows} subject cells; our cold page = {per_page:g} requests)")
        for name, values in results.items():
            print(
                f"  {name:<36} median {statistics.median(values):8.1f} ms"
                f"   min {min(values):8.1f}   max {max(values):8.1f}"
                f"   RT's CPU {rt_cpu[name]:6.0f} ms"
            )
        ours, theirs = (
            results["ours cold (as configured)"],
            results["RT web UI Search/Results.html"],
        )
        ratio = statistics.median(ours) / statistics.median(theirs)
        paired = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        wins = sum(a < b for a, b in zip(ours, theirs, strict=True))
        print(
            f"ours cold / RT's page: {ratio:.2f} (median of each round's ratio {paired:.2f}; "
            f"ours faster in {wins} of {args.runs} rounds)"
        )
        print("the requests of our last cold page (sent at once):")
        for method, path, status, ms in one_page:
            print(f"  {method} {path} -> {status} in {ms:.1f} ms")
        for client in (web, rest):
            client.close()
        for repo in (cold, one_token, warm):
            repo.close()
    finally:
        stop_rt(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
