"""Metrics and `helpdesk-tui report` on a small crafted store, on SQLite and PostgreSQL.

The store is built through the service with a movable clock, the way agents would
have worked it; the report runs at the frozen clock (Wednesday 2026-03-04 10:30 UTC)
over ISO week 2026-W09 (Monday 23 February to Sunday 1 March). Every expected figure
below is worked out by hand from the default policy (seeds/002):

  ticket prio  tier who    created          first reply       resolved            CSAT
  T1     P1    1    alice  Mon 23 10:00     10:10 (10m, met)  12:00 (2h, met)     5  closed Sun 1
  T2     P1    2    bob    Tue 24 09:00     09:30 (due 09:15) 15:00 (due 13:00)   2
  T3     P2    1    alice  Wed 25 10:00     10:20 (due 11:00) 16:00 (due 18:00)   4
  T4     P2    2    -      Thu 26 20:00     none: due Fri 00:00 (outside hours: 4h), still new
  T5     P3    3    bob    Fri 27 09:00     11:00 (due 13:00) Mon 2 10:00 (1bd: due Fri 18:00)
  T6     P4    1    alice  Sat 28 12:00     Mon 2 09:30 (1bd from Mon 09:00: due 18:00), pending
  T7     P1    1    -      Sun 1  08:00     cancelled at 08:05 (a duplicate)
  T8     P1    1    alice  Fri 20 Feb 10:00 10:05             11:00               3  (week before)
  T9     P2    3    -      Tue 3 Mar 10:00  open (after the period)
  T10    P4    1    -      Sat 10 Jan 12:00 open (eight weeks before)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Agent, Priority, Role, Status, Ticket
from helpdesk_tui.domain.periods import Period
from helpdesk_tui.domain.sla import TargetKind
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.reporting import charts, metrics, report
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.sql import SqlRepository
from tests.cli.test_cli import run
from tests.conftest import FROZEN


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def at(day: str, time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}:00+00:00")


@dataclass
class Crafted:
    url: str
    files: Path
    keys: dict[str, str] = field(default_factory=dict)

    def service(self, who: str = "boss") -> tuple[SqlRepository, HelpdeskService]:
        repo = SqlRepository.open(self.url, self.files)
        return repo, HelpdeskService(
            repo, load_policy("default"), lambda: FROZEN, repo.get_agent(who)
        )


def _build(repo: SqlRepository) -> dict[str, str]:
    clock = Clock(FROZEN)
    svc = HelpdeskService(repo, load_policy("default"), clock, repo.get_agent("boss"))
    keys: dict[str, str] = {}

    def create(
        name: str, when: datetime, priority: Priority, tier: int, who: str | None, org: str = "Acme"
    ) -> None:
        clock.at = when
        draft = TicketDraft(
            subject=f"{name} subject", priority=priority, tier=tier, assignee=who, organization=org
        )
        keys[name] = svc.create(draft).key

    def reply(name: str, when: datetime, status: Status | None = None) -> Ticket:
        clock.at = when
        ticket = repo.get(keys[name])
        return svc.reply(ticket.key, ticket.version, f"reply on {name}", status=status)

    def move(name: str, when: datetime, status: Status, reason: str | None = None) -> Ticket:
        clock.at = when
        ticket = repo.get(keys[name])
        return svc.set_status(ticket.key, ticket.version, status, reason)

    def csat(name: str, score: int) -> None:
        ticket = repo.get(keys[name])
        svc.record_csat(ticket.key, ticket.version, score)

    def answered_and_resolved(name: str, day: str, times: tuple[str, str, str], score: int) -> None:
        created, replied, resolved = (at(day, t) for t in times)
        assert keys[name] and repo.get(keys[name]).created_at == created
        reply(name, replied)
        reply(name, resolved, Status.RESOLVED)
        csat(name, score)

    create("T10", at("2026-01-10", "12:00"), Priority.LOW, 1, None)
    create("T8", at("2026-02-20", "10:00"), Priority.CRITICAL, 1, "alice")
    answered_and_resolved("T8", "2026-02-20", ("10:00", "10:05", "11:00"), 3)
    create("T1", at("2026-02-23", "10:00"), Priority.CRITICAL, 1, "alice")
    answered_and_resolved("T1", "2026-02-23", ("10:00", "10:10", "12:00"), 5)
    move("T1", at("2026-03-01", "09:00"), Status.CLOSED)
    create("T2", at("2026-02-24", "09:00"), Priority.CRITICAL, 2, "bob", org="Globex")
    answered_and_resolved("T2", "2026-02-24", ("09:00", "09:30", "15:00"), 2)
    create("T3", at("2026-02-25", "10:00"), Priority.HIGH, 1, "alice")
    answered_and_resolved("T3", "2026-02-25", ("10:00", "10:20", "16:00"), 4)
    create("T4", at("2026-02-26", "20:00"), Priority.HIGH, 2, None)
    create("T5", at("2026-02-27", "09:00"), Priority.MEDIUM, 3, "bob")
    reply("T5", at("2026-02-27", "11:00"))
    reply("T5", at("2026-03-02", "10:00"), Status.RESOLVED)
    create("T6", at("2026-02-28", "12:00"), Priority.LOW, 1, "alice")
    reply("T6", at("2026-03-02", "09:30"), Status.PENDING)
    create("T7", at("2026-03-01", "08:00"), Priority.CRITICAL, 1, None)
    move("T7", at("2026-03-01", "08:05"), Status.CANCELLED, "duplicate of T1")
    create("T9", at("2026-03-03", "10:00"), Priority.HIGH, 3, None)
    return keys


@pytest.fixture
def crafted(store_url: str, tmp_path: Path) -> Iterator[Crafted]:
    files = tmp_path / "files"
    repo = SqlRepository.open(store_url, files)
    try:
        repo.save_agent(Agent("boss", "Bo Boss", tier=3, role=Role.ADMIN))
        repo.save_agent(Agent("alice", "Alice", tier=3))
        repo.save_agent(Agent("bob", "Bob", tier=3))
        repo.save_agent(Agent("acme-only", "Ann", tier=3, organizations=("Acme",)))
        keys = _build(repo)
    finally:
        repo.close()
    yield Crafted(store_url, files, keys)


WEEK_9 = Period.week(FROZEN)


def week_9(crafted: Crafted, who: str = "boss", page_size: int = 1000) -> metrics.Metrics:
    repo, svc = crafted.service(who)
    try:
        return metrics.compute(svc, WEEK_9, page_size=page_size)
    finally:
        repo.close()


def test_the_weekly_review_period_is_last_iso_week() -> None:
    assert (WEEK_9.since, WEEK_9.until) == (at("2026-02-23", "00:00"), at("2026-03-02", "00:00"))


def test_counts_compliance_by_priority_and_tier(crafted: Crafted) -> None:
    m = week_9(crafted)
    assert (m.created, m.cancelled, m.resolved) == (7, 1, 4)

    def figures(f: metrics.SlaFigures) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        fr, res = f.first_response, f.resolution
        return (fr.met, fr.breached, fr.running), (res.met, res.breached, res.running)

    assert {p.value: figures(m.by_priority[p]) for p in Priority} == {
        "critical": ((1, 1, 0), (1, 1, 0)),  # T1 in time; T2 replied 15m and fixed 2h late
        "high": ((1, 1, 0), (1, 1, 0)),  # T3 in time; T4 never answered
        "medium": ((1, 0, 0), (0, 1, 0)),  # T5: resolved on Monday, due Friday 18:00
        "low": ((1, 0, 0), (0, 0, 1)),  # T6: answered Monday 09:30, resolution still running
    }
    assert {t: figures(m.by_tier[t]) for t in (1, 2, 3)} == {
        1: ((3, 0, 0), (2, 0, 1)),
        2: ((0, 2, 0), (0, 2, 0)),
        3: ((1, 0, 0), (0, 1, 0)),
    }
    overall = m.sla
    assert overall.first_response.share == pytest.approx(4 / 6)
    assert overall.resolution.share == pytest.approx(2 / 5)
    assert overall.overall.share == pytest.approx(6 / 11)
    assert m.breaches == 5
    assert m.by_priority[Priority.LOW].resolution.share is None  # nothing decided yet


def test_median_and_p90_times(crafted: Crafted) -> None:
    m = week_9(crafted)
    # First responses: 10m, 20m, 30m, 2h, and T6's 45h30m over the weekend.
    assert len(m.first_response_times) == 5
    assert m.first_response_times.median == 30 * 60
    assert m.first_response_times.p90 == 45.5 * 3600  # nearest rank: the 5th of 5
    # Resolutions (calendar time): 2h, 6h, 6h, and T5's 73h from Friday to Monday.
    assert len(m.resolution_times) == 4
    assert m.resolution_times.median == 6 * 3600
    assert m.resolution_times.p90 == 73 * 3600
    assert metrics.format_duration(m.first_response_times.p90) == "1d21h"
    assert metrics.format_duration(m.resolution_times.median) == "6h00m"


def test_breaches_csat_and_agents(crafted: Crafted) -> None:
    m = week_9(crafted)
    keys = crafted.keys
    assert [(b.key, b.kind, b.overdue, b.running) for b in m.worst] == [
        (keys["T4"], TargetKind.FIRST_RESPONSE, (5 * 24 + 10.5) * 3600, True),
        (keys["T4"], TargetKind.RESOLUTION, (5 * 24 + 6.5) * 3600, True),
        (keys["T5"], TargetKind.RESOLUTION, (2 * 24 + 16) * 3600, False),
        (keys["T2"], TargetKind.RESOLUTION, 2 * 3600, False),
        (keys["T2"], TargetKind.FIRST_RESPONSE, 15 * 60, False),
    ]
    assert dict(m.csat) == {5: 1, 2: 1, 4: 1}
    assert m.csat_average == pytest.approx(11 / 3)
    assert m.csat_satisfied == pytest.approx(2 / 3)
    agents = m.agents_by_load()
    assert [a.agent for a in agents] == ["alice", "bob", None]
    alice, bob, nobody = agents
    assert (alice.tickets, alice.resolved) == (3, 2)
    assert (alice.sla.first_response.met, alice.sla.first_response.breached) == (3, 0)
    assert alice.sla.resolution.share == 1.0 and alice.sla.resolution.running == 1
    assert alice.resolution_times.median == 4 * 3600  # 2h and 6h
    assert alice.csat_average == 4.5
    assert (bob.tickets, bob.resolved, bob.sla.first_response.share) == (2, 2, 0.5)
    assert bob.sla.resolution.share == 0.0
    assert bob.resolution_times.median == (6 + 73) / 2 * 3600
    assert (nobody.tickets, nobody.resolved, nobody.sla.overall.breached) == (1, 0, 2)


def test_backlog_by_tier_and_age_and_weekly_trend(crafted: Crafted) -> None:
    m = week_9(crafted)
    # Open now (Wednesday 4 March 10:30): T4 (tier 2, 5 days), T6 (tier 1, pending,
    # 5 days), T9 (tier 3, 1 day), T10 (tier 1, 7 weeks).
    assert m.backlog == {
        1: {"< 1 day": 0, "1-3 days": 0, "3-7 days": 1, "1-4 weeks": 0, "> 4 weeks": 1},
        2: {"< 1 day": 0, "1-3 days": 0, "3-7 days": 1, "1-4 weeks": 0, "> 4 weeks": 0},
        3: {"< 1 day": 0, "1-3 days": 1, "3-7 days": 0, "1-4 weeks": 0, "> 4 weeks": 0},
    }
    assert m.backlog_total == 4
    assert m.backlog_by_age()["3-7 days"] == 2
    # Eight weeks ending where the period ends: T10 in the first, T8 in the seventh.
    assert [w.since for w in m.weeks] == [
        at("2026-01-05", "00:00") + timedelta(weeks=n) for n in range(8)
    ]
    assert [w.created for w in m.weeks] == [1, 0, 0, 0, 0, 0, 1, 7]
    assert [w.sla.overall.share for w in m.weeks] == [
        0.0,
        None,
        None,
        None,
        None,
        None,
        1.0,
        6 / 11,
    ]
    assert [w.sla.overall.breached for w in m.weeks] == [2, 0, 0, 0, 0, 0, 0, 5]


def test_small_pages_give_the_same_figures(crafted: Crafted) -> None:
    assert report.to_json(week_9(crafted, page_size=2)) == report.to_json(week_9(crafted))


def test_an_agent_sees_the_figures_of_the_organizations_served(crafted: Crafted) -> None:
    m = week_9(crafted, who="acme-only")
    # T2 is Globex's: left out of everything this agent is shown.
    assert m.created == 6
    assert m.by_priority[Priority.CRITICAL].first_response.breached == 0
    assert crafted.keys["T2"] not in {b.key for b in m.worst}


def test_a_period_with_nothing_in_it(crafted: Crafted) -> None:
    repo, svc = crafted.service()
    try:
        m = metrics.compute(svc, Period.week(FROZEN, "2025-W10"))
    finally:
        repo.close()
    assert (m.created, m.resolved, m.csat_answers) == (0, 0, 0)
    assert m.sla.overall.share is None and m.first_response_times.median is None
    assert m.worst == [] and m.agents == {}
    assert m.backlog_total == 4  # the backlog is now's, whatever the period
    assert "0 tickets created" in "\n".join(report.text_lines(m))


def test_compute_stops_when_told(crafted: Crafted) -> None:
    repo, svc = crafted.service()
    try:
        with pytest.raises(metrics.Cancelled):
            metrics.compute(svc, WEEK_9, should_stop=lambda: True)
    finally:
        repo.close()


def test_created_between_reads_each_ticket_once_across_ties(store_url: str, tmp_path: Path) -> None:
    """Keyset paging: 30 tickets at one instant, spread over pages of 4, in both parts."""
    repo = SqlRepository.open(store_url, tmp_path / "files")
    try:
        repo.save_agent(Agent("boss", "Bo", tier=3, role=Role.ADMIN))
        same = at("2026-02-10", "12:00")
        tickets = [
            Ticket(
                key="",
                subject=f"t{n}",
                status=Status.CLOSED if n % 3 else Status.OPEN,
                created_at=same if n < 30 else same + timedelta(seconds=n),
                updated_at=same,
                closed_at=same if n % 3 else None,
            )
            for n in range(45)
        ]
        tickets.append(Ticket(key="", subject="before", created_at=same - timedelta(days=40)))
        tickets.append(Ticket(key="", subject="at the end", created_at=same + timedelta(days=1)))
        repo.bulk_import([(t, []) for t in tickets])
        svc = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, repo.get_agent("boss"))
        seen = [
            t.subject
            for page in metrics.created_between(svc, same, same + timedelta(days=1), page_size=4)
            for t in page
        ]
    finally:
        repo.close()
    assert sorted(seen) == sorted(f"t{n}" for n in range(45))


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def cli_store(crafted: Crafted, tmp_path: Path) -> Crafted:
    """The crafted store as the configured backend of `helpdesk-tui` (cwd is tmp_path)."""
    (tmp_path / "helpdesk-tui.toml").write_text(
        f'[backend]\nurl = "{crafted.url}"\n\n[agent]\nusername = "boss"\n', encoding="utf-8"
    )
    return crafted


def test_report_json_holds_the_figures(
    cli_store: Crafted, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "--week", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["period"]["name"] == "week 2026-W09"
    assert data["period"]["since"] == "2026-02-23T00:00:00+00:00"
    assert data["tickets"] == {"created": 7, "cancelled": 1, "resolved": 4}
    assert data["sla"]["overall"] == {
        "met": 6,
        "breached": 5,
        "running": 1,
        "compliance": pytest.approx(6 / 11),
    }
    critical = data["sla"]["by_priority"][0]
    assert critical["priority"] == "critical" and critical["first_response"]["breached"] == 1
    assert data["times"]["resolution"] == {
        "count": 4,
        "median_seconds": 21600.0,
        "p90_seconds": 262800.0,
    }
    assert data["breaches"]["total"] == 5
    assert data["breaches"]["worst"][0]["key"] == cli_store.keys["T4"]
    assert data["csat"]["scores"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert [a["agent"] for a in data["agents"]] == ["alice", "bob", None]
    assert data["backlog"]["total"] == 4
    assert [w["created"] for w in data["trend"]] == [1, 0, 0, 0, 0, 0, 1, 7]
    # The same period named three ways gives the same report.
    for argv in (
        ("--week", "2026-W09"),
        ("--since", "2026-02-23", "--until", "2026-03-02"),
    ):
        code, again, err = run(capsys, "report", *argv, "--format", "json")
        assert code == 0, err
        named = json.loads(again)
        assert named["sla"] == data["sla"] and named["times"] == data["times"]


def test_report_csv_parses_into_the_same_figures(
    cli_store: Crafted, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "--week", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and set(rows[0]) == {"section", "group", "metric", "value"}
    values = {(r["section"], r["group"], r["metric"]): r["value"] for r in rows}
    assert values[("tickets", "", "created")] == "7"
    assert values[("sla", "", "overall.breached")] == "5"
    assert values[("sla", "priority=critical", "by_priority.first_response.breached")] == "1"
    assert values[("sla", "tier=2", "by_tier.resolution.met")] == "0"
    assert values[("times", "", "first_response.median_seconds")] == "1800.0"
    assert values[("agents", "agent=alice", "csat_average")] == "4.5"
    assert values[("agents", "agent=", "tickets")] == "1"  # the unassigned
    assert values[("csat", "", "average")] == str(11 / 3)
    assert values[("sla", "priority=low", "by_priority.resolution.compliance")] == ""
    assert len(values) == len(rows)  # every figure is named once


def test_report_text_for_people(cli_store: Crafted, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "report", "--week")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Support report · week 2026-W09 (2026-02-23 → 2026-03-01)"
    assert "7 tickets created (1 cancelled), 4 resolved · backlog now 4" in lines
    assert "SLA met 54.5% · 5 breaches · CSAT 3.67/5 (66.7% satisfied, 3 answers)" in lines
    assert any(line.startswith("  P1 critical   ██████░░░░░░  50.0%   1/2") for line in lines)
    assert "  first response           30m     1d21h         5" in lines
    assert max(len(line) for line in lines) <= 80


def test_text_for_an_ascii_terminal(crafted: Crafted) -> None:
    out = io.StringIO()
    report.write(week_9(crafted), out, "text", charts.ASCII)
    text = out.getvalue()
    assert text.isascii()
    assert "  P1 critical   ######......  50.0%   1/2" in text
    assert text.startswith("Support report | week 2026-W09 (2026-02-23 -> 2026-03-01)\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--until", "2026-03-01"], "--until goes with --since"),
        (["--since", "2026-03-02", "--until", "2026-03-01"], "ends"),
        (["--week", "2026-W60"], "not a week"),
        (["--since", "yesterday"], "cannot read 'yesterday' as a date"),
        (["--last", "7x"], "cannot read '7x'"),
        (["--week", "--last", "7d"], "not allowed with"),
        (["--format", "xml"], "invalid choice"),
    ],
)
def test_report_refuses_bad_periods_in_one_line(
    cli_store: Crafted, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "report", *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1, err


def test_report_runs_in_a_fresh_store(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "report", "--last", "7d", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["period"]["name"] == "last 7 days"
    assert data["tickets"]["created"] == 0 and data["sla"]["overall"]["compliance"] is None


def test_report_names_are_printed_safely(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # An assignee name a remote backend sent: control sequences never reach the terminal.
    repo = SqlRepository.open(tmp_path / "data" / "helpdesk.db", tmp_path / "data" / "attachments")
    try:
        repo.save_agent(Agent("boss", "Bo", tier=3, role=Role.ADMIN))
        repo.create(
            Ticket(
                key="",
                subject="x",
                assignee="\x1b]0;pwned\x07eve",
                created_at=FROZEN - timedelta(hours=1),
            ),
            actor="boss",
        )
    finally:
        repo.close()
    code, out, err = run(capsys, "--as", "boss", "report", "--last", "7d")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "eve" in out
