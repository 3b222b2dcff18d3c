"""The report's SLA by agreement, on the crafted store of test_report.py (SQLite and
PostgreSQL), with Globex under the bundled `nexly` policy and Acme without an agreement.

Of the week's tickets only T2 is Globex's: a P1 answered after 30 minutes and resolved
after 6 hours. The default policy breaches both its targets (15 m, 4 h); nexly gives a
P1 an hour for the first response and no resolution target, so it is met, and the
week's breaches drop from 5 to 3.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from helpdesk_tui.domain.sla import with_agreements
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.reporting import metrics, report
from helpdesk_tui.service import HelpdeskService
from helpdesk_tui.store.sql import SqlRepository
from tests.cli.test_cli import run
from tests.conftest import FROZEN
from tests.service.test_report import WEEK_9, Crafted, crafted  # noqa: F401  (the fixture)

POLICY = with_agreements(load_policy("default"), {"globex": load_policy("nexly")})


def week_9(store: Crafted) -> metrics.Metrics:
    repo = SqlRepository.open(store.url, store.files)
    try:
        service = HelpdeskService(repo, POLICY, lambda: FROZEN, repo.get_agent("boss"))
        return metrics.compute(service, WEEK_9)
    finally:
        repo.close()


def test_the_figures_per_agreement(crafted: Crafted) -> None:  # noqa: F811
    m = week_9(crafted)
    assert [a.agreement for a in m.agreements_by_name()] == ["nexly", "standard"]
    nexly, standard = m.by_agreement["nexly"], m.by_agreement["standard"]
    assert (nexly.tickets, nexly.sla.overall.met, nexly.sla.overall.breached) == (1, 1, 0)
    assert nexly.sla.resolution.decided == 0  # nexly sets no resolution target for a P1
    assert (standard.tickets, standard.sla.overall.breached) == (5, 3)  # T7 was cancelled
    # T4 never answered; T4 and T5 resolved late; T6 waits on its customer (running).
    assert (standard.sla.first_response.met, standard.sla.first_response.breached) == (4, 1)
    assert (standard.sla.resolution.met, standard.sla.resolution.breached) == (2, 2)
    assert m.breaches == 3
    assert nexly.sla + standard.sla == m.sla


def test_json_csv_and_text_hold_the_breakdown(crafted: Crafted) -> None:  # noqa: F811
    m = week_9(crafted)
    rows = report.to_json(m)["sla"]["by_agreement"]
    assert [(r["agreement"], r["tickets"], r["breaches"]) for r in rows] == [
        ("nexly", 1, 0),
        ("standard", 5, 3),
    ]
    assert rows[0]["overall"]["compliance"] == 1.0
    assert rows[1]["overall"]["compliance"] == pytest.approx(6 / 9)

    out = io.StringIO()
    report.write(m, out, "csv")
    values = {
        (r["section"], r["group"], r["metric"]): r["value"]
        for r in csv.DictReader(io.StringIO(out.getvalue()))
    }
    assert values[("sla", "agreement=nexly", "by_agreement.tickets")] == "1"
    assert values[("sla", "agreement=standard", "by_agreement.breaches")] == "3"
    assert values[("sla", "agreement=nexly", "by_agreement.overall.compliance")] == "1.0"

    lines = list(report.text_lines(m))
    at = lines.index("SLA by agreement     tickets   SLA met   breaches   1st resp  resolution")
    assert (
        lines[at + 1] == "  nexly                     1    100.0%          0     100.0%           —"
    )
    assert (
        lines[at + 2] == "  standard                  5     66.7%          3      80.0%       50.0%"
    )
    assert max(len(line) for line in lines) <= 80


def test_without_agreements_the_text_has_no_breakdown(crafted: Crafted) -> None:  # noqa: F811
    repo = SqlRepository.open(crafted.url, crafted.files)
    try:
        service = HelpdeskService(
            repo, load_policy("default"), lambda: FROZEN, repo.get_agent("boss")
        )
        m = metrics.compute(service, WEEK_9)
    finally:
        repo.close()
    assert list(m.by_agreement) == ["standard"] and m.by_agreement["standard"].tickets == 6
    assert not any(line.startswith("SLA by agreement") for line in report.text_lines(m))
    assert report.to_json(m)["sla"]["by_agreement"][0]["agreement"] == "standard"


def test_the_report_command_reads_the_agreements_of_the_config(
    crafted: Crafted,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "helpdesk-tui.toml").write_text(
        f'[backend]\nurl = "{crafted.url}"\n\n[agent]\nusername = "boss"\n\n'
        '[sla.agreements]\nGLOBEX = "nexly"\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "report", "--week", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [(r["agreement"], r["breaches"]) for r in data["sla"]["by_agreement"]] == [
        ("nexly", 0),
        ("standard", 3),
    ]
    assert data["breaches"]["total"] == 3
