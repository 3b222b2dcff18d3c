"""`[sla.agreements]` on the command line: `ticket show` names the agreement a ticket is
measured by, and a bad agreement stops every command with one line and status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.domain.test_sla_agreements import AROUND_THE_CLOCK

SCRIPT = Path(sys.executable).with_name("helpdesk-tui")


@pytest.fixture
def agreed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    care = tmp_path / "care365.toml"
    care.write_text(AROUND_THE_CLOCK, encoding="utf-8")
    config = tmp_path / "agreements.toml"
    config.write_text(f'[sla.agreements]\n"Acme Corp" = "{care}"\n', encoding="utf-8")
    monkeypatch.setenv("HELPDESK_TUI_CONFIG", str(config))
    monkeypatch.setenv("HELPDESK_TUI_NOW", "2026-03-06T17:00:00+00:00")  # a Friday, 17:00
    return config


def key_of(capsys: pytest.CaptureFixture[str], organization: str) -> str:
    code, out, err = run(
        capsys,
        "ticket",
        "create",
        "--subject",
        "Down",
        "--priority",
        "p3",
        "--org",
        organization,
        "--json",
    )
    assert code == 0, err
    return str(json.loads(out)["key"])


def test_ticket_show_names_the_agreement(agreed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    acme, other = key_of(capsys, "ACME corp"), key_of(capsys, "Initech")
    code, out, err = run(capsys, "ticket", "show", acme)
    assert code == 0, err
    lines = out.splitlines()
    assert "  SLA agreement: care365" in lines
    # 4 h on the agreement's 24x7 clock, not 4 business hours (Monday 12:00).
    assert any(
        line.startswith("  SLA first response: 4h00m (running, due 2026-03-06 21:00 UTC")
        for line in lines
    ), out
    code, out, err = run(capsys, "ticket", "show", other)
    assert code == 0, err
    assert "  SLA agreement: standard" in out.splitlines()
    assert "due 2026-03-09 12:00 UTC" in out
    code, out, _ = run(capsys, "ticket", "show", acme, "--json")
    assert json.loads(out)["sla_agreement"] == "care365"
    code, out, _ = run(capsys, "ticket", "list", "--json")
    listed = {t["key"]: t["sla_agreement"] for t in json.loads(out)["tickets"]}
    assert listed == {acme: "care365", other: "standard"}


def test_an_unknown_policy_in_an_agreement_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[sla]\n\n[sla.agreements]\n"Acme Corp" = "care366"\n', encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "ticket", "list")
    assert code == 2 and out == ""
    assert err == (
        f'helpdesk-tui: {config}, line 4: sla.agreements."Acme Corp": no built-in policy '
        "'care366' (choose from default, nexly, or a path to a .toml file)\n"
    )
    # As users meet it: the installed script, in a process of its own.
    done = subprocess.run(
        [str(SCRIPT), "--config", str(config), "report"],
        capture_output=True,
        env={**os.environ},
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().count("\n") == 1 and b"sla.agreements" in done.stderr


def test_a_missing_policy_file_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gone.toml"
    config.write_text(f'[sla.agreements]\nGlobex = "{tmp_path}/nope.toml"\n', encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "ticket", "list")
    assert code == 2 and out == ""
    assert err == (
        f"helpdesk-tui: sla.agreements.Globex: cannot read {tmp_path}/nope.toml: "
        "No such file or directory\n"
    )
