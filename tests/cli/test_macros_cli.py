"""`macro list`, `macro show` and `ticket reply --macro` through `main()`, on a real
SQLite store; a bad macro is one line, exit 2, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpdesk_tui.cli.main import main

MACROS = Path("config") / "helpdesk-tui" / "macros"
"""The user's macros folder (XDG_CONFIG_HOME is tmp_path/config, the cwd is tmp_path)."""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _ticket(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run(
        capsys,
        "ticket",
        "create",
        "--subject",
        "Login $agent ${key} [bold]x[/bold]",
        "--requester",
        "Eve $subject",
        "--json",
        *extra,
    )
    assert code == 0, err
    return str(json.loads(out)["key"])


def _state(capsys: pytest.CaptureFixture[str], key: str) -> str:
    code, out, err = run(capsys, "ticket", "show", key, "--json")
    assert code == 0, err
    return out


def test_macro_list_shows_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "macro", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "need-logs",
        "password-reset",
        "resolved-confirm",
    ]
    assert "[en,sv,pt]" in lines[1] and "status=pending tags=+password" in lines[1]


def test_macro_show_the_file_and_for_a_ticket(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "macro", "show", "need-logs")
    assert code == 0
    assert "title:     Ask for logs" in out and "Hi $requester_name," in out
    key = _ticket(capsys)
    code, out, _err = run(capsys, "macro", "show", "need-logs", "--ticket", key)
    assert code == 0
    # Customer text in once, as written: never expanded, never markup.
    assert out.startswith("Hi Eve $subject,\n")
    assert f'"Login $agent ${{key}} [bold]x[/bold]" ({key})' in out
    code, out, _err = run(capsys, "macro", "show", "need-logs", "--ticket", key, "--language", "pt")
    assert out.startswith("Olá Eve $subject,")


def test_reply_with_a_macro_sends_its_body_and_changes_in_one_write(
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = _ticket(capsys)
    code, _out, err = run(capsys, "ticket", "reply", key, "--macro", "password-reset", "PS: hi")
    assert (code, err) == (0, ""), err
    shown = json.loads(_state(capsys, key))
    assert (shown["status"], shown["tags"], shown["version"]) == ("pending", ["password"], 2)
    (reply,) = [c for c in shown["conversation"] if c["kind"] == "reply"]
    assert reply["body"].startswith("Hi Eve $subject,\n\nI have sent a password reset link")
    assert reply["body"].endswith("\n\nPS: hi")
    versions = {entry["field"]: entry["version"] for entry in shown["history"]}
    assert versions["status"] == versions["tags"] == 2


def test_reply_with_a_macro_alone_and_an_explicit_status_wins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = _ticket(capsys)
    code, _out, err = run(
        capsys, "ticket", "reply", key, "--macro", "need-logs", "--status", "open"
    )
    assert code == 0, err
    shown = json.loads(_state(capsys, key))
    assert (shown["status"], shown["tags"]) == ("open", ["needs-logs"])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--macro", "nope"], "no macro called 'nope'"),
        (["--macro", "need-logs", ""], "the text after the macro is empty"),
        ([], "give the text"),
        (["--macro", "bad"], "macros/bad.toml, line 4: changes.status: 'later' is not a status"),
        (["--macro", "takeover"], "someone is tier 1; HD-1 needs tier 2"),
    ],
)
def test_bad_macro_input_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], words: str
) -> None:
    folder = tmp_path / MACROS
    folder.mkdir(parents=True)
    (folder / "bad.toml").write_text('title = "B"\nbody = "Hi"\n[changes]\nstatus = "later"\n')
    (folder / "takeover.md").write_text("---\ntitle: T\nchanges.assignee: someone\n---\nHi\n")
    (folder / "need-logs.md").write_text("---\ntitle: Logs\n---\nSend logs\n")
    key = _ticket(capsys, "--tier", "2")
    assert run(capsys, "agent", "add", "someone", "--tier", "1")[0] == 0
    before = json.loads(_state(capsys, key))
    code, out, err = run(capsys, "ticket", "reply", key, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err, err
    after = json.loads(_state(capsys, key))
    assert after["version"] == before["version"]
    assert after["conversation"] == before["conversation"] == []


def test_macro_list_names_each_bad_file_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / MACROS
    folder.mkdir(parents=True)
    (folder / "good.toml").write_text('title = "Good"\nbody = "Hi $agent"\n')
    (folder / "bad.md").write_text("+++\ntitle = 'Bad'\n[changes]\npriority = 'soon'\n+++\nHi\n")
    code, out, err = run(capsys, "macro", "list")
    assert code == 2
    assert out.split() == ["good", "Good", "[en]", "-"]
    assert err == (
        "helpdesk-tui: macros/bad.md, line 4: changes.priority: 'soon' is not a priority"
        " (choose from critical, high, medium, low)\n"
    )


def test_macro_push_and_remove_keep_a_macro_in_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "outage-ack.toml"
    good.write_text('title = "Outage acknowledged"\nbody = "On it, $requester_name."\n')
    bad = tmp_path / "broken.toml"
    bad.write_text('title = "Broken"\nbody = "$nope"\n')
    # Empty and bad: one line, exit 2, nothing kept.
    code, out, err = run(capsys, "macro", "push")
    assert (code, out) == (2, "") and "file" in err
    for path, said in ((bad, "unknown placeholder $nope"), (tmp_path / "gone.toml", "cannot read")):
        code, out, err = run(capsys, "macro", "push", str(path))
        assert (code, out) == (2, "") and said in err and err.count("\n") == 1, err
    # Filled: kept, listed and shown as the store's.
    code, out, err = run(capsys, "macro", "push", str(good))
    assert (code, out.strip()) == (0, "macro outage-ack kept in the store for everybody"), err
    code, out, _ = run(capsys, "macro", "list")
    assert out.split()[:3] == ["outage-ack", "Outage", "acknowledged"]
    assert "kept in the store" in run(capsys, "macro", "show", "outage-ack")[1]
    assert run(capsys, "macro", "remove", "outage-ack")[0] == 0
    code, out, err = run(capsys, "macro", "remove", "outage-ack")
    assert (code, out) == (2, "") and "no macro 'outage-ack' is kept in the store" in err


def test_a_note_takes_a_macro_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ticket", "create", "--subject", "Checkout fails", "--json")
    key = json.loads(out)["key"]
    code, out, err = run(capsys, "ticket", "note", key, "--macro", "nope")
    assert (code, out) == (2, "") and "no macro called 'nope'" in err
    code, out, err = run(capsys, "ticket", "note", key, "--macro", "need-logs", "checked POS 3")
    assert code == 0, err
    shown = json.loads(run(capsys, "ticket", "show", key, "--json")[1])
    [note] = [c for c in shown["conversation"] if c["kind"] == "note"]
    assert note["body"].endswith("checked POS 3") and len(note["body"]) > len("checked POS 3")
