"""Macro files (settings/macros.py): TOML and Markdown, one line per bad file naming the
file and the key, the team's and the shared folder, the packaged examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.domain.model import Priority, Status
from helpdesk_tui.settings.config import ConfigError, Settings, load_settings
from helpdesk_tui.settings.macros import (
    DEFAULTS_DIR,
    MacroFileError,
    load_folder,
    load_macros,
    read_macro,
    user_macros_dir,
)

GOOD_TOML = """title = "Password reset"

[body]
en = "Hi $requester_name, done ($key)."
sv = "Hej $requester_name, klart ($key)."

[changes]
status = "pending"
priority = "p2"
tags = ["password"]
assignee = "me"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _problem(tmp_path: Path, name: str, text: str) -> str:
    path = _write(tmp_path / "macros", name, text)
    with pytest.raises(MacroFileError) as caught:
        read_macro(path, f"macros/{name}")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_toml_macro_reads_with_its_bodies_and_changes(tmp_path: Path) -> None:
    macro = read_macro(_write(tmp_path, "password.toml", GOOD_TOML), "macros/password.toml")
    assert (macro.name, macro.title, macro.languages) == (
        "password",
        "Password reset",
        ("en", "sv"),
    )
    assert macro.bodies["sv"] == "Hej $requester_name, klart ($key)."
    assert macro.changes.status is Status.PENDING
    assert macro.changes.priority is Priority.HIGH
    assert (macro.changes.tags, macro.changes.assignee) == (("password",), "me")


def test_a_plain_body_string_is_the_english_body(tmp_path: Path) -> None:
    path = _write(tmp_path, "short.toml", 'title = "Short"\nbody = "Thanks, $agent"\n')
    macro = read_macro(path, "short.toml")
    assert macro.bodies == {"en": "Thanks, $agent"} and macro.changes.is_empty


def test_markdown_with_toml_front_matter(tmp_path: Path) -> None:
    text = (
        '+++\ntitle = "Need logs"\nbody.sv = "Hej $requester_name"\n'
        '[changes]\nstatus = "pending"\n+++\nHi $requester_name,\n\nsend logs.\n'
    )
    macro = read_macro(_write(tmp_path, "logs.md", text), "logs.md")
    assert macro.bodies == {
        "en": "Hi $requester_name,\n\nsend logs.\n",
        "sv": "Hej $requester_name",
    }
    assert macro.changes.status is Status.PENDING


def test_markdown_with_simple_front_matter(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Need logs\nchanges.status: pending\nchanges.tags: logs, vpn\n"
        "body.pt: 'Olá $requester_name'\n---\nHi $requester_name\n"
    )
    macro = read_macro(_write(tmp_path, "logs.md", text), "logs.md")
    assert macro.title == "Need logs" and macro.changes.tags == ("logs", "vpn")
    assert macro.bodies == {"en": "Hi $requester_name\n", "pt": "Olá $requester_name"}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "password.toml",
            GOOD_TOML.replace('"pending"', '"sideways"'),
            "macros/password.toml, line 8: changes.status: 'sideways' is not a status",
        ),
        (
            "p.toml",
            GOOD_TOML.replace('"p2"', '"urgentish"'),
            "macros/p.toml, line 9: changes.priority: 'urgentish' is not a priority",
        ),
        ("t.toml", 'body = "Hi"\n', "macros/t.toml: title: missing (this key is required)"),
        (
            "u.toml",
            'title = "T"\nbody = "Hi $nam"\n',
            "macros/u.toml, line 2: body.en: unknown placeholder $nam",
        ),
        (
            "l.toml",
            GOOD_TOML.replace("sv =", "de ="),
            "macros/l.toml, line 5: body.de: no such language",
        ),
        (
            "k.toml",
            GOOD_TOML.replace("assignee", "asignee"),
            "macros/k.toml, line 11: changes.asignee: unknown key (did you mean 'assignee'?)",
        ),
        (
            "g.toml",
            'title = "T"\nbody = "Hi"\ntags = ["x"]\n',
            "macros/g.toml, line 3: tags: unknown key",
        ),
        ("n.toml", 'title = 5\nbody = "Hi"\n', "macros/n.toml, line 1: title: expected a string"),
        ("b.toml", 'title = "T"\nbody = 5\n', "macros/b.toml, line 2: body: expected a table"),
        ("x.toml", 'title = "T"\nbody = "Hi\n', "macros/x.toml: not valid TOML"),
        (
            "deep.toml",
            "a = " + "[" * 100_000 + "]" * 100_000,
            "macros/deep.toml: not valid TOML: nested too deeply",
        ),
        (
            "tags.toml",
            'title = "T"\nbody = "Hi"\n[changes]\ntags = "x"\n',
            "macros/tags.toml, line 4: changes.tags: expected an array",
        ),
        ("m.md", "no front matter\n", "macros/m.md, line 1: front matter: start the file"),
        ("o.md", "+++\ntitle = 'T'\nHi\n", "macros/o.md: front matter: no closing +++ line"),
        (
            "e.md",
            "+++\ntitle = 'T'\nbody.en = 'x'\n+++\nHi\n",
            "macros/e.md, line 3: body.en: the Markdown text is the en body",
        ),
        (
            "s.md",
            "---\ntitle: T\nchanges.status: later\n---\nHi\n",
            "macros/s.md, line 3: changes.status: 'later' is not a status",
        ),
        ("v.md", "---\ntitle T\n---\nHi\n", "macros/v.md, line 2: front matter: expected key:"),
        (
            "d.md",
            "---\ntitle: T\n---\nPay $5\n",
            "macros/d.md, line 4: body.en: line 1: '$5' is no placeholder",
        ),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    assert _problem(tmp_path, name, text).startswith(expected)


def test_a_file_that_is_not_utf8_or_huge_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "bin.toml").write_bytes(b"title = '\xff'\n")
    with pytest.raises(MacroFileError, match=r"^macros/bin.toml: not UTF-8 text"):
        read_macro(tmp_path / "macros" / "bin.toml", "macros/bin.toml")
    big = _write(tmp_path / "macros", "big.toml", "# " + "x" * 300_000)
    with pytest.raises(MacroFileError, match=r"^macros/big.toml: larger than"):
        read_macro(big, "macros/big.toml")


def _settings(tmp_path: Path, config: str = "") -> Settings:
    path = _write(tmp_path / "conf", "config.toml", config)
    return load_settings(path)


def test_without_any_folder_the_packaged_examples_are_used(tmp_path: Path) -> None:
    found = load_macros(_settings(tmp_path), team=None)
    assert list(found.macros) == ["need-logs", "password-reset", "resolved-confirm"]
    assert not found.problems
    for macro in found.macros.values():
        assert macro.languages == ("en", "sv", "pt")
    assert found.sources["need-logs"] == DEFAULTS_DIR / "need-logs.md"


def test_the_user_folder_is_beside_the_config_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert user_macros_dir(settings) == tmp_path / "conf" / "macros"
    _write(tmp_path / "conf" / "macros", "mine.toml", 'title = "Mine"\nbody = "Hi"\n')
    found = load_macros(settings, team=None)
    # Once the user has a folder the examples are no longer mixed in.
    assert list(found.macros) == ["mine"]


def test_the_team_folder_overrides_same_named_files_for_that_team_only(tmp_path: Path) -> None:
    folder = tmp_path / "conf" / "macros"
    _write(folder, "hello.toml", 'title = "Everyone"\nbody = "Hi"\n')
    _write(folder, "bye.md", "---\ntitle: Bye\n---\nBye\n")
    _write(folder / "Network", "hello.toml", 'title = "Network hello"\nbody = "Hej"\n')
    _write(folder / "Network", "vpn.toml", 'title = "VPN"\nbody = "Reconnect"\n')
    settings = _settings(tmp_path)
    mine = load_macros(settings, team="network")  # the folder's case does not matter
    assert mine.macros["hello"].title == "Network hello"
    assert sorted(mine.macros) == ["bye", "hello", "vpn"]
    others = load_macros(settings, team="Billing")
    assert others.macros["hello"].title == "Everyone" and "vpn" not in others.macros
    assert sorted(load_macros(settings, team=None).macros) == ["bye", "hello"]


def test_a_bad_file_takes_out_only_its_own_name(tmp_path: Path) -> None:
    folder = tmp_path / "conf" / "macros"
    _write(folder, "good.toml", 'title = "Good"\nbody = "Hi"\n')
    _write(folder, "bad.toml", 'title = "Bad"\nbody = "Hi $who"\n')
    found = load_macros(_settings(tmp_path), team=None)
    assert list(found.macros) == ["good"]
    assert found.problems == {
        "bad": "macros/bad.toml, line 2: body.en: unknown placeholder "
        "$who (known: $requester_name, $key, $agent, $subject, $due)"
    }
    with pytest.raises(MacroFileError, match=r"^macros/bad.toml, line 2: body.en"):
        found.get("bad")
    with pytest.raises(MacroFileError, match=r"^no macro called 'nope' \(have: bad, good\)"):
        found.get("nope")


def test_a_team_file_that_is_bad_hides_the_good_one_it_overrides(tmp_path: Path) -> None:
    # What the team meant is unknown: the general one must not go out in its place.
    folder = tmp_path / "conf" / "macros"
    _write(folder, "hello.toml", 'title = "Everyone"\nbody = "Hi"\n')
    _write(folder / "network", "hello.toml", 'title = "Team"\n')
    found = load_macros(_settings(tmp_path), team="network")
    assert "hello" not in found.macros
    assert found.problems["hello"].startswith("macros/network/hello.toml: body: missing")


def test_two_files_of_one_name_in_a_folder_are_a_problem(tmp_path: Path) -> None:
    _write(tmp_path, "hi.toml", 'title = "A"\nbody = "Hi"\n')
    _write(tmp_path, "hi.md", "---\ntitle: B\n---\nHi\n")
    _write(tmp_path, "notes.txt", "not a macro")
    _write(tmp_path, ".hidden.toml", "broken")
    found = load_folder(tmp_path, "macros")
    assert found.macros == {}
    assert found.problems == {
        "hi": "macros/hi.md and macros/hi.toml: two macros called 'hi'; keep one"
    }


def test_the_shared_folder_comes_first_and_the_users_own_wins(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    _write(shared, "hello.toml", 'title = "Shared"\nbody = "Hi"\n')
    _write(shared, "policy.toml", 'title = "Policy"\nbody = "See policy"\n')
    _write(shared / "support", "hello.toml", 'title = "Shared support"\nbody = "Hi"\n')
    # Relative to the config file's folder, wherever the command runs.
    settings = _settings(tmp_path, '[macros]\ndir = "../shared"\n')
    assert settings.macros_dir == tmp_path / "conf" / ".." / "shared"
    found = load_macros(settings, team="support")
    assert found.macros["hello"].title == "Shared support"
    assert sorted(found.macros) == ["hello", "policy"]  # no examples beside a shared dir
    _write(tmp_path / "conf" / "macros", "hello.toml", 'title = "Mine"\nbody = "Hi"\n')
    assert load_macros(settings, team="support").macros["hello"].title == "Mine"


def test_a_shared_folder_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[macros]\ndir = "/nowhere/macros"\n')
    with pytest.raises(MacroFileError, match=r"^\[macros\] dir: /nowhere/macros is not a folder$"):
        load_macros(settings, team=None)


def test_an_unknown_key_in_the_macros_table_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"line 2: macros.folder: unknown key"):
        _settings(tmp_path, '[macros]\nfolder = "x"\n')
