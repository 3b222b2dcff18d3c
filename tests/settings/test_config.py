"""The TOML config: every table empty, filled and wrong; its errors as one line naming
the file, the line and the key; and the cache that keeps pydantic off the launch."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui.settings import config, schema
from helpdesk_tui.settings.config import ConfigError, FileSettings, Settings, load_settings
from helpdesk_tui.settings.toml_lines import key_lines, line_of

ROOT = Path(__file__).resolve().parents[2]

FILLED = """\
[agent]
username = "alex"

[backend]
kind = "rt"
url = "https://rt.example.test"
key_prefix = "SUP"
verify_tls = false

[backend.rt]
lifecycle = "default"
timeout = 20
cache_seconds = 0
session_seconds = 0
parallel_requests = 4
agent_groups = ["Helpdesk agents"]

[backend.rt.queues]
"Tier 1" = 1
"Tier 3" = 3

[backend.rt.agents]
alex = { tier = 2, role = "lead" }
bo = {}

[paths]
data_dir = "/srv/helpdesk"

[sla]
policy = "nexly"

[ui]
theme = "helpdesk-light"
language = "SV"
bell = true
cursor_blink = false

[retention]
months = 36

[mail]
from = "Support <support@example.com>"
smtp_host = " smtp.example.com "
smtp_port = 2525
smtp_security = "ssl"
smtp_user = "desk"
ca_file = "~/ca.pem"
timeout = 12.5
templates_dir = "/etc/helpdesk/templates"
language = "pt"
inbound = "imap"
maildir = "/var/mail/support"
quarantine_dir = "/var/mail/quarantine"
imap_host = "imap.example.com"
imap_port = 1993
imap_security = "starttls"
imap_user = "support"
imap_folder = "Helpdesk"
remind_after_days = 0.5
reminders = 0
close_pending_after_days = 0
close_resolved_after_days = 7

[mail.organizations]
" ACME.example " = " Acme "

[keys]
"queue.take" = "T"

[[views]]
name = "P1 on tier 2"
filter = "priority:p1 tier:2"
sort = "priority"

[[views]]
name = "Mine"
"""


def write(tmp_path: Path, text: str, name: str = "helpdesk-tui.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# -- empty and filled ------------------------------------------------------------------


def test_no_file_and_an_empty_file_give_the_same_defaults(tmp_path: Path) -> None:
    bare = load_settings(None)
    assert bare.config_path is None and bare.backend_kind == "sql" and bare.key_prefix == "HD"
    assert bare.data_dir == tmp_path / "data" and bare.language == "en"
    assert bare.rt.queues == {} and bare.mail.followup.reminders == 2 and not bare.mail.sends
    for text in ("", "# nothing yet\n", "[ui]\n[backend]\n[backend.rt]\n[mail]\n[paths]\n"):
        path = write(tmp_path, text)
        settings = load_settings(path)
        assert replace(settings, config_path=None, raw={}) == bare, text
        assert settings.config_path == path


def test_a_filled_file_is_read_into_every_setting(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FILLED))
    assert (settings.agent, settings.data_dir, settings.policy) == (
        "alex",
        Path("/srv/helpdesk"),
        "nexly",
    )
    assert (settings.backend_kind, settings.backend_url) == ("rt", "https://rt.example.test")
    assert (settings.key_prefix, settings.verify_tls) == ("SUP", False)
    assert settings.rt.queues == {"Tier 1": 1, "Tier 3": 3} and settings.rt.lifecycle == "default"
    assert (settings.rt.timeout, settings.rt.cache_seconds) == (20.0, 0.0)
    assert (settings.rt.session_seconds, settings.rt.parallel_requests) == (0.0, 4)
    assert settings.rt.agents == {"alex": (2, "lead"), "bo": (3, "agent")}
    assert settings.rt.agent_groups == ("Helpdesk agents",)
    assert (settings.theme, settings.language, settings.bell, settings.cursor_blink) == (
        "helpdesk-light",
        "sv",
        True,
        False,
    )
    assert settings.retention_months == 36 and settings.keymap == {"queue.take": "T"}
    assert [(v.name, v.filter, v.sort) for v in settings.views] == [
        ("P1 on tier 2", "priority:p1 tier:2", "priority"),
        ("Mine", "", "sla_due"),
    ]
    mail = settings.mail
    assert mail.sender == "Support <support@example.com>" and mail.smtp_host == "smtp.example.com"
    assert (mail.port("smtp"), mail.smtp_security, mail.smtp_user) == (2525, "ssl", "desk")
    assert mail.ca_file == Path.home() / "ca.pem" and mail.timeout == 12.5
    assert mail.templates_dir == Path("/etc/helpdesk/templates") and mail.language == "pt"
    assert (mail.inbound, mail.imap_host, mail.port("imap")) == ("imap", "imap.example.com", 1993)
    assert (mail.imap_security, mail.imap_user, mail.imap_folder) == (
        "starttls",
        "support",
        "Helpdesk",
    )
    assert mail.maildir == Path("/var/mail/support")
    assert mail.quarantine_dir == Path("/var/mail/quarantine")
    assert mail.organizations == {"acme.example": "Acme"}
    assert mail.followup.remind_after == timedelta(hours=12) and mail.followup.reminders == 0
    assert mail.followup.close_pending_after is None
    assert mail.followup.close_resolved_after == timedelta(days=7)
    assert settings.raw["backend"]["rt"]["queues"] == {"Tier 1": 1, "Tier 3": 3}


def test_an_empty_paths_data_dir_is_the_default_one(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[paths]\ndata_dir = ""\n'))
    assert settings.data_dir == tmp_path / "data"


# -- one line per problem: the file, the line, the key -----------------------------------

BAD = [
    # (the file, the line and key the message names, what it says)
    ("[agent]\nusername = 3\n", "line 2: agent.username", "expected a string, got 3"),
    ('[agent]\nname = "alex"\n', "line 2: agent.name", "unknown key"),
    ('[agent]\ntoken = "x"\n', "line 2: agent.token", "secrets do not belong"),
    ('[backend]\nkind = "ldap"\n', "line 2: backend.kind", "expected 'sql' or 'rt', got 'ldap'"),
    ('[backend]\nkey_prefix = "hd"\n', "line 2: backend.key_prefix", "1-10 capital letters"),
    ('[backend]\nverify_tls = "no"\n', "line 2: backend.verify_tls", "expected true or false"),
    ('[backend]\nurl = "postgresql://a:hunter2@db/x"\n', "line 2: backend.url", "holds a password"),
    ('[backend]\nurl = "http://[::1"\n', "line 2: backend.url", "not a URL"),
    ('[backend]\nurll = ""\n', "line 2: backend.urll", "did you mean 'url'?"),
    ('[backend]\npassword = "x"\n', "line 2: backend.password", "`helpdesk-tui login`"),
    ('[backend]\nkind = "rt"\nurl = "rt.test"\n', "line 3: backend.url", "http(s) URL"),
    (
        '[backend]\nkind = "rt"\nurl = "http://rt.test"\n[backend.rt.queues]\n"T1" = 1\n',
        "line 3: backend.url",
        "in clear: use https, or set insecure = true",
    ),
    (
        '[backend]\nurl = "postgresql://alex@db/helpdesk?sslmode=require&password=hunter2"\n',
        "line 2: backend.url",
        "holds a password (?password=…)",
    ),
    ('[backend]\nkind = "rt"\n', "line 1: backend.url", "RT needs an http(s) URL"),
    ('[backend]\nkind = "rt"\nurl = "https://rt"\n', "line 1: backend.rt.queues", "name the RT"),
    ("[backend.rt]\ntimeout = 0\n", "line 2: backend.rt.timeout", "0-600 seconds, got 0"),
    ('[backend.rt]\ntimeout = "15"\n', "line 2: backend.rt.timeout", "expected a number"),
    ("[backend.rt]\ncache_seconds = 3601\n", "line 2: backend.rt.cache_seconds", "0-3600"),
    ("[backend.rt]\nsession_seconds = -1\n", "line 2: backend.rt.session_seconds", "0-86400"),
    ("[backend.rt]\nparallel_requests = 0\n", "line 2: backend.rt.parallel_requests", "1-8"),
    ('[backend.rt]\nparallel_requests = "2"\n', "line 2: backend.rt.parallel_requests", "whole"),
    ('[backend.rt]\nlifecycle = "odd"\n', "line 2: backend.rt.lifecycle", "'helpdesk' or"),
    ('[backend.rt]\napi_token = "x"\n', "line 2: backend.rt.api_token", "secrets do not"),
    ("[backend.rt]\nqueue = {}\n", "line 2: backend.rt.queue", "did you mean 'queues'?"),
    ("[backend.rt.queues]\nA = true\n", "line 2: backend.rt.queues.A", "expected a whole number"),
    ('[backend.rt.queues]\n"Tier 4" = 4\n', 'line 2: backend.rt.queues."Tier 4"', "tier 1, 2 or 3"),
    ("[backend.rt.agents]\nal = 2\n", "line 2: backend.rt.agents.al", "expected a table, got 2"),
    ("[backend.rt.agents]\nal = { tier = 4 }\n", "line 2: backend.rt.agents.al.tier", "got 4"),
    (
        '[backend.rt.agents]\nal = { role = "boss" }\n',
        "line 2: backend.rt.agents.al.role",
        "'lead'",
    ),
    ("[backend.rt.agents]\nal = { teir = 1 }\n", "line 2: backend.rt.agents.al.teir", "'tier'"),
    ("[paths]\ndata_dir = 1\n", "line 2: paths.data_dir", "expected a string"),
    ('[paths]\ndatadir = "x"\n', "line 2: paths.datadir", "did you mean 'data_dir'?"),
    ("[sla]\npolicy = []\n", "line 2: sla.policy", "expected a string, got an array"),
    ('[sla]\npolicies = "x"\n', "line 2: sla.policies", "unknown key"),
    ('[ui]\ntheem = "x"\n', "line 2: ui.theem", "unknown key (did you mean 'theme'?)"),
    ("[ui]\nbell = 1\n", "line 2: ui.bell", "expected true or false, got 1"),
    ('[ui]\nlanguage = "de"\n', "line 2: ui.language", "no catalogue for 'de'"),
    ('[ui]\nsecret = "x"\n', "line 2: ui.secret", "secrets do not belong"),
    ('[keys]\n"queue.take" = 3\n', 'line 2: keys."queue.take"', "expected a string, got 3"),
    ("[keys]\nx = { a = 1 }\n", "line 2: keys.x", "expected a string, got a table"),
    ('[[views]]\nfilter = "x"\n', "line 1: views[0].name", "missing"),
    ('[[views]]\nname = "a"\n[[views]]\nname = 3\n', "line 4: views[1].name", "got 3"),
    ('[[views]]\nname = "a"\nsorting = "key"\n', "line 3: views[0].sorting", "'sort'"),
    ('views = "x"\n', "line 1: views", "expected an array"),
    ("[retention]\nmonths = 0\n", "line 2: retention.months", "expected 1-12000 months, got 0"),
    ('[retention]\nmonths = "24"\n', "line 2: retention.months", "whole number, got '24'"),
    ("[retention]\nmonths = 99999999\n", "line 2: retention.months", "got 99999999"),
    ("[retention]\nyears = 2\n", "line 2: retention.years", "unknown key"),
    ('[mail]\nfrom = "nope"\n', "line 2: mail.from", "not an address: 'nope'"),
    ('[mail]\nfrom = "{x}{_RULE}"\n', "line 2: mail.from", "not an address: '{x}{_RULE}'"),
    ('[mail]\nsender = "s@x.org"\n', "line 2: mail.sender", "unknown key"),
    ('[mail]\nsmtp_password = "x"\n', "line 2: mail.smtp_password", "`helpdesk-tui mail login"),
    ('[mail]\nsmtp_security = "tls"\n', "line 2: mail.smtp_security", "'starttls'"),
    ("[mail]\nimap_port = 70000\n", "line 2: mail.imap_port", "port number (0-65535), got 70000"),
    ("[mail]\ntimeout = nan\n", "line 2: mail.timeout", "0-600 seconds, got nan"),
    ('[mail]\ninbound = "pop3"\n', "line 2: mail.inbound", "'maildir' or 'imap'"),
    ('[mail]\ninbound = "maildir"\n', "line 1: mail.maildir", "needs the path of the Maildir"),
    ('[mail]\ninbound = "imap"\nimap_host = " "\n', "line 3: mail.imap_host", "IMAP server"),
    ('[mail]\nlanguage = "xx"\n', "line 2: mail.language", "no catalogue for 'xx'"),
    ("[mail]\nreminders = 11\n", "line 2: mail.reminders", "from 0 to 10, got 11"),
    ("[mail]\nremind_after_days = 0\n", "line 2: mail.remind_after_days", "above 0"),
    ("[mail]\nclose_pending_after_days = -1\n", "line 2: mail.close_pending_after_days", "got -1"),
    (
        "[mail]\nclose_resolved_after_days = inf\n",
        "line 2: mail.close_resolved_after_days",
        "from 0 (never) to 3650, got inf",
    ),
    ('[mail.organizations]\n"a.example" = " "\n', 'line 2: mail.organizations."a.example"', "name"),
    ("[mail.organizations]\nx = 1\n", "line 2: mail.organizations.x", "expected a string"),
    ('[uii]\ntheme = "x"\n', "line 1: uii", "unknown table (did you mean 'ui'?)"),
    ("backend = 3\n", "line 1: backend", "expected a table, got 3"),
    ("[ui]\ntheme = 2026-01-01\n", "line 2: ui.theme", "2026-01-01 (a date or time)"),
]


@pytest.mark.parametrize(("text", "where", "what"), BAD, ids=[case[1] for case in BAD])
def test_a_bad_value_is_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    path = write(tmp_path, text)
    message = refusal(path)
    assert message.startswith(f"{path}, {where}: "), message
    assert what in message, message
    assert "hunter2" not in message


TABLES = ["agent", "backend", "backend.rt", "paths", "sla", "ui", "retention", "mail"]


@pytest.mark.parametrize("table", TABLES)
def test_every_table_refuses_a_key_it_does_not_declare(tmp_path: Path, table: str) -> None:
    path = write(tmp_path, f"[{table}]\n\nnot_a_setting = 1\n")
    message = refusal(path)
    assert message.startswith(f"{path}, line 3: {table}.not_a_setting: unknown key (known here:")


def test_tables_of_names_take_any_name(tmp_path: Path) -> None:
    text = '[keys]\nanything = "x"\n[backend.rt.queues]\nanything = 1\n'
    text += '[mail.organizations]\n"password.example" = "P"\n'
    settings = load_settings(write(tmp_path, text))
    assert settings.keymap == {"anything": "x"} and settings.rt.queues == {"anything": 1}
    assert settings.mail.organizations == {"password.example": "P"}


def test_a_secret_is_named_before_any_other_problem(tmp_path: Path) -> None:
    path = write(tmp_path, '[ui]\ntheme = 3\n\n[mail]\nreminders = 40\nimap_password = "pw"\n')
    message = refusal(path)
    assert f"{path}, line 6: mail.imap_password: secrets" in message and 'pw"' not in message


def test_otherwise_the_problem_nearest_the_top_comes_first(tmp_path: Path) -> None:
    path = write(tmp_path, '[mail]\nreminders = 40\n\n[backend]\nkind = "x"\n[ui]\nbell = 2\n')
    assert refusal(path).startswith(f"{path}, line 2: mail.reminders: ")


def test_a_key_of_an_inline_table_is_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'backend = { kind = "rt", url = "https://rt.test" }\n')
    assert refusal(path).startswith(f"{path}, line 1: backend.rt.queues: ")
    assert schema.dotted(("a b", 0, "c")) == '"a b"[0].c'


def test_text_that_is_not_toml_or_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[ui]\ntheme = \n")
    assert refusal(path).startswith(f"{path}: not valid TOML: ")
    path.write_bytes(b'[ui]\ntheme = "caf\xe9"\n')
    assert refusal(path) == f"{path}, line 2: not UTF-8 text (byte 0xe9)"


def test_every_config_sample_in_the_docs_is_valid(tmp_path: Path) -> None:
    checked = []
    for page in sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md"]):
        for number, block in enumerate(re.findall(r"```toml\n(.*?)```", page.read_text(), re.S)):
            if block.startswith('name = "'):  # a theme file (docs/themes.md), not a config
                continue
            load_settings(write(tmp_path, block, f"{page.stem}-{number}.toml"))
            checked.append(page.name)
    assert {"config.md", "backends-rt.md", "mail.md", "keys.md"} <= set(checked)


# -- where a key is ----------------------------------------------------------------------


def test_key_lines_follow_tables_arrays_of_tables_and_quoted_dotted_keys() -> None:
    text = """\
top = 1  # a comment with key = 2
[a . "b c"]
'lit.eral' = "x = y"
d.e = [
  "[not.a.table]",
  { f = 1 },
]
g = \"\"\"
h = 3
[also.not]
\"\"\"
"q\\"u\\u0041" = 4

[[views]]
name = "one"
[[views]]
name = "two"
[views.sub]
x = 5
"""
    lines = key_lines(text)
    assert lines[("top",)] == 1 and lines[("a", "b c")] == 2
    assert lines[("a", "b c", "lit.eral")] == 3 and lines[("a", "b c", "d", "e")] == 4
    assert lines[("a", "b c", "d")] == 4 and lines[("a", "b c", "g")] == 8
    assert lines[("a", "b c", 'q"uA')] == 12
    assert ("not", "a", "table") not in lines and ("a", "b c", "h") not in lines
    assert ("also", "not") not in lines
    assert lines[("views", 0)] == 14 and lines[("views", 0, "name")] == 15
    assert lines[("views", 1, "name")] == 17 and lines[("views", 1, "sub", "x")] == 19
    assert line_of(lines, ("a", "b c", "d", "e", 1, "f")) == 4
    assert line_of(lines, ("nowhere", "x")) is None


def test_key_lines_read_broken_text_without_failing() -> None:
    for text in ('[a\n"b = 1', '["a\\q"]\nx = 1', "= 3\n'open = 1", 'x = """\nnever closed'):
        assert isinstance(key_lines(text), dict)


# -- the cache ---------------------------------------------------------------------------


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files validated (cache misses), in order."""
    seen: list[Path] = []
    validate = schema.validate

    def counting(data: bytes, origin: Path) -> FileSettings:
        seen.append(origin)
        return validate(data, origin)

    monkeypatch.setattr(schema, "validate", counting)
    return seen


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("config-*.pickle"))


def test_an_unchanged_file_is_read_from_the_cache(tmp_path: Path, validations: list[Path]) -> None:
    path = write(tmp_path, FILLED)
    first = load_settings(path)
    again = load_settings(path)
    assert again == first and validations == [path] and len(cache_files(tmp_path)) == 1
    other = write(tmp_path, FILLED, "same-bytes-elsewhere.toml")
    assert load_settings(other) == replace(first, config_path=other) and len(validations) == 1
    path.write_text(FILLED.replace('theme = "helpdesk-light"', 'theme = "helpdesk-dark"'))
    assert load_settings(path).theme == "helpdesk-dark" and len(validations) == 2


def test_a_bad_file_is_never_cached(tmp_path: Path, validations: list[Path]) -> None:
    path = write(tmp_path, "[ui]\nbell = 3\n")
    refusal(path)
    refusal(path)
    assert len(validations) == 2 and cache_files(tmp_path) == []


def test_the_environment_applies_on_a_cache_hit(
    tmp_path: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[mail]\nmaildir = "~/Maildir"\n')
    first = load_settings(path)
    assert first.language == "en" and first.mail.language == "en"
    monkeypatch.setenv("HELPDESK_AGENT", "night-shift")
    monkeypatch.setenv("HELPDESK_TUI_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    hit = load_settings(path)
    assert validations == [path]
    assert (hit.agent, hit.data_dir) == ("night-shift", tmp_path / "elsewhere")
    assert (hit.language, hit.mail.language) == ("sv", "sv")
    assert hit.mail.maildir == tmp_path / "home" / "Maildir"


def test_the_files_word_beats_the_environment_on_a_hit(
    tmp_path: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path, '[agent]\nusername = "alex"\n[ui]\nlanguage = "pt"\n[paths]\ndata_dir = "/d"\n'
    )
    load_settings(path)
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    monkeypatch.setenv("HELPDESK_TUI_DATA_DIR", str(tmp_path / "elsewhere"))
    hit = load_settings(path)
    assert (hit.agent, hit.language, hit.data_dir) == ("alex", "pt", Path("/d"))
    monkeypatch.setenv("HELPDESK_AGENT", "bo")  # the environment's agent wins, as before
    assert load_settings(path).agent == "bo" and len(validations) == 1


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle", b"\x80\x05\x95garbage", "other-key", "not-settings", "shared"],
)
def test_a_damaged_or_foreign_cache_file_is_a_miss(
    tmp_path: Path, validations: list[Path], damage: bytes | str
) -> None:
    import pickle

    path = write(tmp_path, FILLED)
    first = load_settings(path)
    [cached] = cache_files(tmp_path)
    if damage == "other-key":
        cached.write_bytes(pickle.dumps(("0" * 64, FileSettings(Settings(data_dir=Path())))))
    elif damage == "not-settings":
        key, _found = pickle.loads(cached.read_bytes())
        cached.write_bytes(pickle.dumps((key, {"theme": "evil"})))
    elif damage == "shared":
        cached.chmod(0o666)  # anyone may write it: its code is not ours to run
    else:
        assert isinstance(damage, bytes)
        cached.write_bytes(damage)
    assert load_settings(path) == first and len(validations) == 2
    assert load_settings(path) == first and len(validations) == 2  # written again, a hit


def test_a_cache_that_cannot_be_written_only_costs_time(
    tmp_path: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cache").write_text("a file where the folder should be")
    path = write(tmp_path, FILLED)
    assert load_settings(path) == load_settings(path) and len(validations) == 2


def test_a_change_to_the_code_that_validates_makes_every_file_miss(
    tmp_path: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, FILLED)
    load_settings(path)
    edited = tmp_path / "schema.py"
    edited.write_bytes((ROOT / "src/helpdesk_tui/settings/schema.py").read_bytes() + b"\n# x\n")
    monkeypatch.setattr(config, "_SHAPING_SOURCES", (*config._SHAPING_SOURCES, str(edited)))
    load_settings(path)
    assert len(validations) == 2


def test_without_the_sources_of_the_code_nothing_is_cached(
    tmp_path: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, FILLED)
    monkeypatch.setattr(config, "_SHAPING_SOURCES", (*config._SHAPING_SOURCES, "gone.py"))
    assert load_settings(path) == load_settings(path)
    assert len(validations) == 2 and cache_files(tmp_path) == []


def test_the_cache_keeps_a_few_files_only(tmp_path: Path) -> None:
    for number in range(12):
        load_settings(write(tmp_path, f"[retention]\nmonths = {number + 1}\n"))
    assert len(cache_files(tmp_path)) == 8


def _in_a_new_process(tmp_path: Path, code: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


PROBE = """
import json, sys
from pathlib import Path
from helpdesk_tui.settings.config import load_settings
settings = load_settings({path})
loaded = "pydantic" in sys.modules
print(json.dumps({{"pydantic": loaded, "settings": repr(settings)}}))
"""


def test_a_cache_hit_imports_no_pydantic(tmp_path: Path) -> None:
    path = write(tmp_path, FILLED)
    miss = _in_a_new_process(tmp_path, PROBE.format(path=f"Path({str(path)!r})"))
    hit = _in_a_new_process(tmp_path, PROBE.format(path=f"Path({str(path)!r})"))
    assert miss["pydantic"] is True and hit["pydantic"] is False
    assert hit["settings"] == miss["settings"]
    assert hit["settings"] == repr(load_settings(path))


def test_no_config_file_imports_no_pydantic(tmp_path: Path) -> None:
    assert _in_a_new_process(tmp_path, PROBE.format(path="None"))["pydantic"] is False


def test_a_ticket_page_is_given_for_a_well_formed_key_only(tmp_path: Path) -> None:
    rt = Settings(data_dir=tmp_path, backend_kind="rt", backend_url="https://rt.example.test/")
    assert rt.ticket_page("HD-42") == "https://rt.example.test/Ticket/Display.html?id=42"
    assert [rt.ticket_page(k) for k in ("HD-042", "HD-4-2", "HD-", "42")] == [None] * 4
    assert Settings(data_dir=tmp_path).ticket_page("HD-42") is None  # a SQL store: no page
