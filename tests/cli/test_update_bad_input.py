"""Bad input to `ticket update`, `escalate`, `decide` and `csat` found in a user trial: a
team that does not exist, removing what the ticket does not have, reasons and comments
longer than a reason is. Each is one line on stderr, exit status 2, nothing written."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from helpdesk_tui.cli.main import build_parser
from helpdesk_tui.domain.model import Agent, Role, Team
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, ServiceError, TicketDraft
from helpdesk_tui.service.checks import MAX_REASON
from helpdesk_tui.store.sql import SqlRepository
from tests.conftest import FROZEN

from .test_cli import create, run, store  # noqa: F401  (the fixture)


def refused(capsys: pytest.CaptureFixture[str], said: str, *argv: str) -> None:
    """`argv` ends in one line saying `said`, exit status 2, and the store unchanged."""
    before = run(capsys, "export", "-", "--format", "jsonl")[1]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, ""), err
    assert said in err and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert run(capsys, "export", "-", "--format", "jsonl")[1] == before


def test_a_team_the_store_does_not_keep_is_refused(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = create(capsys)
    refused(capsys, "no team called 'Platform': there are no teams yet", *(
        "ticket", "update", key, "--team", "Platform",
    ))  # fmt: skip
    assert run(capsys, "team", "add", "Platform")[0] == 0
    refused(capsys, "no team called 'NoSuchTeam': the teams are Platform", *(
        "ticket", "update", key, "--team", "NoSuchTeam",
    ))  # fmt: skip
    # Team names are exact: the store's own spelling files the ticket.
    refused(capsys, "no team called 'platform'", "ticket", "update", key, "--team", "platform")
    assert run(capsys, "ticket", "update", key, "--team", " Platform ")[0] == 0
    assert run(capsys, "ticket", "update", key, "--team", "none")[0] == 0


def test_a_new_ticket_of_a_team_the_store_does_not_keep_is_refused(tmp_path: Path) -> None:
    repo = SqlRepository.open(str(tmp_path / "helpdesk.db"), tmp_path / "attachments")
    try:
        admin = Agent("ada", "Ada", "ada@helpdesk.test", 3, Role.ADMIN)
        repo.save_agent(admin)
        service = HelpdeskService(repo, load_policy("default"), lambda: FROZEN, admin)
        with pytest.raises(ServiceError, match="no team called 'Nowhere'"):
            service.create(TicketDraft("Printer jams", team="Nowhere"))
        assert service.is_empty()
        service.save_team(Team("Nowhere"))
        assert service.create(TicketDraft("Printer jams", team="Nowhere")).team == "Nowhere"
    finally:
        repo.close()


def test_removing_a_contact_or_tag_the_ticket_does_not_have_is_refused(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = create(capsys, "--tag", "vpn")
    assert run(capsys, "ticket", "update", key, "--add-contact", "Bo <bo@example.com>")[0] == 0
    # An empty one to add was dropped, and "updated" said for a write of nothing.
    for flag in ("--add-tag", "--add-contact"):
        refused(capsys, f"argument {flag}: cannot be empty", "ticket", "update", key, flag, " ")
    refused(capsys, f"'nobody@example.com' is not a contact of {key}", *(
        "ticket", "update", key, "--remove-contact", "nobody@example.com",
    ))  # fmt: skip
    # All or nothing: the contact it has is not removed either.
    refused(capsys, "is not a contact", *(
        "ticket", "update", key,
        "--remove-contact", "BO@example.com", "--remove-contact", "cy@example.com",
    ))  # fmt: skip
    refused(capsys, f"'printer' is not a tag of {key}", *(
        "ticket", "update", key, "--remove-tag", "printer",
    ))  # fmt: skip
    code, out, err = run(capsys, "ticket", "update", key, "--remove-contact", "BO@example.com")
    assert code == 0 and "updated" in out, err


def long_text() -> str:
    return "x" * (MAX_REASON + 1)


def test_a_reason_or_comment_longer_than_a_reason_is_refused(
    store: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = create(capsys)
    too_long = f"longer than {MAX_REASON} characters"
    refused(capsys, too_long, "ticket", "escalate", key, "--tier", "2", "--reason", long_text())
    refused(capsys, too_long, "ticket", "escalate", key, "--lead", "--reason", long_text())
    refused(capsys, too_long, *(
        "ticket", "update", key, "--status", "on_hold", "--reason", long_text(),
    ))  # fmt: skip
    # The longest reason allowed is taken.
    most = "y" * MAX_REASON
    assert run(capsys, "ticket", "escalate", key, "--tier", "2", "--reason", most)[0] == 0
    refused(capsys, too_long, *(
        "--as", "dmitri", "ticket", "decide", key, "decline", "--reason", long_text(),
    ))  # fmt: skip
    done = create(capsys)
    assert run(capsys, "ticket", "assign", done, "--me")[0] == 0
    assert run(capsys, "ticket", "reply", done, "Fixed.", "--status", "resolved")[0] == 0
    refused(capsys, "the satisfaction comment is longer", *(
        "ticket", "csat", done, "4", "--comment", long_text(),
    ))  # fmt: skip


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command `helpdesk-tui` has, as (its words, its parser), groups included."""
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*path, name))
    return found


def test_every_command_and_option_says_what_it_is_for() -> None:
    # `--help` is how a newcomer at the terminal learns a command: an option without a
    # word of help ("--tier TIER") leaves them guessing which values it takes.
    commands = _commands(build_parser())
    assert len(commands) > 40  # the walk reached the commands inside the groups
    silent = [
        " ".join((*path, action.dest))
        for path, parser in commands
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not (action.help or "").strip()
    ]
    assert silent == []
    for path, parser in commands:
        groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for group in groups:
            described = {c.dest for c in group._choices_actions if (c.help or "").strip()}
            assert described == set(group.choices), (path, set(group.choices) - described)
