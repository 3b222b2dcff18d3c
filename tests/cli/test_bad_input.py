"""Every subcommand against a table of bad inputs, through the installed `helpdesk-tui`
script in a subprocess: how users meet it. Each must end with exit status 2, one line on
stderr, no traceback, and the store exactly as it was (its export unchanged)."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FROZEN

SCRIPT = Path(sys.executable).with_name("helpdesk-tui")
HEADER = "key,subject,priority,tier\n"
HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


@dataclass(frozen=True)
class Store:
    root: Path
    env: dict[str, str]
    files: Path

    def run(self, *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(SCRIPT), *argv],
            input=stdin,
            capture_output=True,
            env=self.env,
            cwd=self.root,
            timeout=60,
        )

    def export(self) -> bytes:
        done = self.run("export", "-", "--format", "jsonl")
        assert done.returncode == 0, done.stderr
        return done.stdout


def _write(folder: Path, name: str, data: str | bytes) -> str:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def _record(**fields: object) -> str:
    return json.dumps({"subject": "fine", **fields}) + "\n"


def _full(*, content: str = "aGVsbG8=", sha256: str = HELLO_SHA256, **fields: object) -> str:
    """A record of a full export ("format": 2): one note with one file ("hello")."""
    file = {"filename": "a.txt", "size": 5, "sha256": sha256, "content": content}
    note = {"kind": "note", "author": "dmitri", "body": "log", "created_at": FROZEN.isoformat()}
    record = {
        "format": 2,
        "key": "HD-50",
        "subject": "fine",
        "comments": [{**note, "files": [file]}],
    }
    return json.dumps({**record, **fields}) + "\n"


def _policy(key: str, duration: str) -> str:
    """A policy of one priority whose `key` target is `duration`."""
    return f'name = "typo"\n[priorities.critical]\nclock = "24x7"\n{key} = "{duration}"\n'


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("cli-bad-input")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "HELPDESK_TUI_DATA_DIR": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "xdg"),
        "HELPDESK_TUI_NOW": FROZEN.isoformat(),
        "LANG": "C.UTF-8",
    }
    files = root / "files"
    files.mkdir()
    made = Store(root, env, files)
    # The first user is the admin; one more agent; three tickets, one of them resolved.
    assert made.run("agent", "add", "dmitri", "--tier", "2").returncode == 0
    for subject in ("Checkout fails", "VPN drops", "Printer"):
        assert made.run("ticket", "create", "--subject", subject).returncode == 0
    assert made.run("ticket", "reply", "HD-3", "Done", "--status", "resolved").returncode == 0
    yield made


def _cases(files: Path, write: bool = True) -> list[tuple[str, list[str], bytes, str]]:
    """(id, argv, stdin, a word the one line must hold); `write` makes the files."""

    def w(name: str, data: str | bytes) -> str:
        return _write(files, name, data) if write else str(files / name)

    def sla_config(name: str, policy: str) -> str:
        """A config whose SLA policy is the file `name`-policy.toml holding `policy`."""
        return w(f"{name}.toml", f'[sla]\npolicy = "{w(f"{name}-policy.toml", policy)}"\n')

    big = "x" * 100_000
    digits = "9" * 4400
    csv_utf16 = codecs.BOM_UTF16_LE + (HEADER + "HD-50,Hello,high,1\n").encode("utf-16-le")
    cases: list[tuple[str, list[str], bytes, str]] = [
        # -- import: paths and encodings
        ("import-missing", ["import", "/nonexistent/dir/x.csv"], b"", "cannot read"),
        ("import-folder", ["import", str(files), "--format", "csv"], b"", "cannot read"),
        ("import-proc-mem", ["import", "/proc/self/mem", "--format", "csv"], b"", "cannot read"),
        ("import-no-format", ["import", w("t.txt", "x")], b"", "format"),
        ("import-utf16-csv", ["import", w("u16.csv", csv_utf16)], b"", "UTF-16"),
        (
            "import-latin1-csv",
            ["import", w("l1.csv", "subject\nCaf\xe9\n".encode("latin-1"))],
            b"",
            "line 2",
        ),
        (
            "import-bad-utf8-jsonl",
            ["import", w("b.jsonl", b'{"subject": "\xff"}\n')],
            b"",
            "line 1",
        ),
        ("import-utf16-json", ["import", w("u16.json", "[]".encode("utf-16"))], b"", "UTF-16"),
        # -- import: malformed CSV
        (
            "csv-unterminated",
            ["import", w("q.csv", 'subject,priority\n"unterminated,critical\n')],
            b"",
            "never closed",
        ),
        (
            "csv-ragged-long",
            ["import", w("r1.csv", HEADER + "HD-50,a,high,1,extra\n")],
            b"",
            "line 2",
        ),
        ("csv-ragged-short", ["import", w("r2.csv", HEADER + "HD-50,a\n")], b"", "line 2"),
        ("csv-no-subject", ["import", w("h.csv", "title,priority\nx,high\n")], b"", "subject"),
        ("csv-empty", ["import", w("e.csv", "")], b"", "header"),
        ("csv-header-twice", ["import", w("d.csv", "subject,subject\na,b\n")], b"", "twice"),
        ("csv-unknown-column", ["import", w("c.csv", "subject,colour\na,red\n")], b"", "colour"),
        (
            "csv-field-over-limit",
            ["import", w("f.csv", "subject\n" + "y" * 4_000_001 + "\n")],
            b"",
            "longer",
        ),
        (
            "csv-huge-subject",
            ["import", w("s.csv", "subject\n" + "y" * 200_000 + "\n")],
            b"",
            "250",
        ),
        (
            "csv-tier-fraction",
            ["import", w("t19.csv", HEADER + "HD-50,a,high,1.9\n")],
            b"",
            "whole number",
        ),
        (
            "csv-huge-integer",
            ["import", w("i.csv", f"subject,affected_users\na,{digits}\n")],
            b"",
            "whole number",
        ),
        # -- import: malformed JSON and JSON Lines
        ("json-syntax", ["import", w("s.json", "[{")], b"", "not valid JSON"),
        ("json-not-a-list", ["import", w("o.json", '{"subject": "x"}')], b"", "list"),
        ("json-nested", ["import", w("n.json", "[" * 100_000 + "]" * 100_000)], b"", "nested"),
        (
            "json-infinity",
            ["import", w("inf.jsonl", '{"subject": "x", "tier": Infinity}\n')],
            b"",
            "Infinity",
        ),
        (
            "json-nan",
            ["import", w("nan.jsonl", '{"subject": "x", "affected_users": NaN}\n')],
            b"",
            "NaN",
        ),
        ("json-1e400", ["import", w("e.jsonl", '{"subject": "x", "tier": 1e400}\n')], b"", "range"),
        (
            "json-4300-digits",
            ["import", w("g.jsonl", '{"subject": "x", "tier": ' + digits + "}\n")],
            b"",
            "number",
        ),
        ("jsonl-bad-line", ["import", w("b2.jsonl", _record() + "{oops\n")], b"", "line 2"),
        ("jsonl-not-object", ["import", w("a.jsonl", "[1, 2]\n")], b"", "object"),
        # -- import: a full export ("format": 2)
        ("full-bad-base64", ["import", w("f1.jsonl", _full(content="%%%%"))], b"", "base64"),
        ("full-bad-sha256", ["import", w("f2.jsonl", _full(sha256="0" * 64))], b"", "sha256"),
        (
            "full-unknown-link",
            ["import", w("f3.jsonl", _full(links=[{"kind": "relates", "target": "HD-404"}]))],
            b"",
            "HD-404, which is neither",
        ),
        (
            "full-known-key",
            ["import", w("f4.jsonl", _full(key="HD-1"))],
            b"",
            "key HD-1 is already in the store",
        ),
        ("full-format-7", ["import", w("f5.jsonl", _full(format=7))], b"", "format: 7"),
        (
            "update-flat",
            ["import", w("f6.jsonl", _record()), "--update"],
            b"",
            "--update needs a full export",
        ),
        # -- import: what `ticket create` refuses, refused here too
        ("key-zero", ["import", w("k0.jsonl", _record(key="HD-0"))], b"", "HD-0"),
        ("key-double-dash", ["import", w("k1.jsonl", _record(key="HD--5"))], b"", "key"),
        ("key-escape", ["import", w("k2.jsonl", _record(key="HD-7\x1b[31m"))], b"", "key"),
        ("subject-100k", ["import", w("s1.jsonl", _record(subject=big))], b"", "250"),
        ("subject-empty", ["import", w("s2.jsonl", _record(subject="  "))], b"", "empty"),
        ("subject-object", ["import", w("s3.jsonl", _record(subject={"a": 1}))], b"", "object"),
        (
            "email-not-address",
            ["import", w("m.jsonl", _record(requester_email="not an email"))],
            b"",
            "address",
        ),
        ("assignee-unknown", ["import", w("as.jsonl", _record(assignee="nobody"))], b"", "nobody"),
        (
            "affected-negative",
            ["import", w("au.jsonl", _record(affected_users=-3))],
            b"",
            "negative",
        ),
        ("affected-huge", ["import", w("ah.jsonl", _record(affected_users=10**30))], b"", "more"),
        ("tier-1.9", ["import", w("t.jsonl", _record(tier=1.9))], b"", "whole number"),
        ("tier-7", ["import", w("t7.jsonl", _record(tier=7))], b"", "tier"),
        ("csat-9", ["import", w("cs.jsonl", _record(csat_score=9))], b"", "csat"),
        (
            "year-1-offset",
            ["import", w("y1.jsonl", _record(created_at="0001-01-01T00:00+05:00"))],
            b"",
            "range",
        ),
        (
            "year-9999-offset",
            ["import", w("y9.jsonl", _record(created_at="9999-12-31T23:00-05:00"))],
            b"",
            "range",
        ),
        (
            "year-9999-utc",
            ["import", w("y9u.jsonl", _record(created_at="9999-12-31T23:00Z"))],
            b"",
            "outside",
        ),
        (
            "date-no-zone",
            ["import", w("nz.jsonl", _record(created_at="2026-01-01T09:00"))],
            b"",
            "timezone",
        ),
        ("unknown-field", ["import", w("uf.jsonl", _record(subjcet="typo"))], b"", "subjcet"),
        ("tags-not-names", ["import", w("tg.jsonl", _record(tags=[1, 2]))], b"", "tags"),
        ("pauses-garbage", ["import", w("p.jsonl", _record(pauses=[["x"]]))], b"", "pauses"),
        (
            "key-twice",
            ["import", w("kt.jsonl", _record(key="HD-60") + _record(key="HD-60"))],
            b"",
            "twice",
        ),
        (
            "key-in-store",
            ["import", w("ks.jsonl", _record(key="HD-61") + _record(key="HD-2"))],
            b"",
            "HD-2",
        ),
        (
            "bad-after-good",
            ["import", w("bg.jsonl", _record() * 3 + _record(priority="soon"))],
            b"",
            "line 4",
        ),
        # -- export
        ("export-missing-dir", ["export", "/nonexistent/dir/x.csv"], b"", "cannot write"),
        ("export-folder", ["export", str(files), "--format", "csv"], b"", "folder"),
        ("export-unwritable", ["export", "/proc/x.csv"], b"", "cannot write"),
        ("export-long-name", ["export", "x" * 300 + ".jsonl"], b"", "file name too long"),
        (
            "export-bad-filter",
            ["export", "-", "--filter", "due:<99999999999999999999d"],
            b"",
            "due",
        ),
        # -- ticket
        ("create-empty-subject", ["ticket", "create", "--subject", ""], b"", "empty"),
        ("create-huge-subject", ["ticket", "create", "--subject", big], b"", "250"),
        (
            "create-huge-requester",
            ["ticket", "create", "--subject", "x", "--requester", big],
            b"",
            "requester",
        ),
        (
            "create-not-email",
            ["ticket", "create", "--subject", "x", "--email", "not an email"],
            b"",
            "address",
        ),
        (
            "create-unknown-agent",
            ["ticket", "create", "--subject", "x", "--assignee", "nobody"],
            b"",
            "nobody",
        ),
        (
            "create-stdin-not-utf8",
            ["ticket", "create", "--subject", "x", "--description", "-"],
            b"\xff\xfe",
            "UTF-8",
        ),
        # Bytes that are not UTF-8 (surrogateescape), refused naming the argument they are in.
        (
            "create-subject-not-utf8",
            ["ticket", "create", "--subject", "bad \udcff"],
            b"",
            "--subject",
        ),
        (
            "create-tag-not-utf8",
            ["ticket", "create", "--subject", "x", "--tag", "\udcc3"],
            b"",
            "0xc3",
        ),
        ("as-not-utf8", ["--as", "\udcff", "ticket", "list"], b"", "argument --as: not UTF-8"),
        ("note-body-not-utf8", ["ticket", "note", "HD-2", "a\udcffb"], b"", "argument body"),
        ("list-limit-huge", ["ticket", "list", "--limit", "9" * 30], b"", "--limit"),
        ("list-offset-huge", ["ticket", "list", "--offset", "9" * 30], b"", "--offset"),
        ("list-limit-digits", ["ticket", "list", "--limit", digits], b"", "--limit"),
        (
            "list-due-overflow",
            ["ticket", "list", "--filter", "due:<99999999999999999999d"],
            b"",
            "due",
        ),
        ("list-tier-9", ["ticket", "list", "--filter", "tier:9"], b"", "tier"),
        ("list-ranked-no-words", ["ticket", "list", "--sort", "relevance"], b"", "relevance"),
        (
            "list-ranked-symbols",
            ["ticket", "list", "--search", "🔥", "--sort", "relevance"],
            b"",
            "give it words",
        ),
        ("list-sort-unknown", ["ticket", "list", "--sort", "best"], b"", "invalid choice"),
        ("show-unknown", ["ticket", "show", "HD-999"], b"", "HD-999"),
        ("show-zero", ["ticket", "show", "HD-0"], b"", "HD-0"),
        ("show-escape", ["ticket", "show", "HD-1\x1b[2J"], b"", "key"),
        ("show-huge-key", ["ticket", "show", "HD-" + digits], b"", "key"),
        ("suggest-unknown", ["ticket", "suggest", "HD-999"], b"", "HD-999"),
        ("update-empty-subject", ["ticket", "update", "HD-1", "--subject", " "], b"", "empty"),
        ("update-nothing", ["ticket", "update", "HD-1"], b"", "nothing"),
        (
            "update-affected-superscript",
            ["ticket", "update", "HD-1", "--affected-users", "²"],
            b"",
            "whole number",
        ),
        ("reply-empty", ["ticket", "reply", "HD-1", ""], b"", "empty"),
        ("reply-macro-unknown", ["ticket", "reply", "HD-1", "--macro", "nope"], b"", "nope"),
        ("reply-macro-blank", ["ticket", "reply", "HD-1", "--macro", ""], b"", "no macro"),
        (
            "reply-macro-empty-text",
            ["ticket", "reply", "HD-1", "--macro", "need-logs", " "],
            b"",
            "empty",
        ),
        ("macro-show-unknown", ["macro", "show", "nope"], b"", "nope"),
        (
            "macro-show-no-ticket",
            ["macro", "show", "need-logs", "--ticket", "HD-999"],
            b"",
            "HD-999",
        ),
        ("macro-show-language", ["macro", "show", "need-logs", "--language", "de"], b"", "de"),
        (
            "note-attach-mem",
            ["ticket", "note", "HD-1", "x", "--attach", "/proc/self/mem"],
            b"",
            "/proc/self/mem",
        ),
        (
            "note-attach-long-name",
            ["ticket", "note", "HD-1", "x", "--attach", "y" * 300],
            b"",
            "argument --attach: file name too long",
        ),
        (
            "note-attach-missing",
            ["ticket", "note", "HD-1", "x", "--attach", "/nonexistent/f"],
            b"",
            "/nonexistent/f",
        ),
        (
            "note-attach-folder",
            ["ticket", "note", "HD-1", "x", "--attach", str(files)],
            b"",
            "files",
        ),
        ("assign-unknown", ["ticket", "assign", "HD-1", "nobody"], b"", "nobody"),
        (
            "escalate-tier-9",
            ["ticket", "escalate", "HD-1", "--tier", "9", "--reason", "x"],
            b"",
            "tier",
        ),
        ("decide-unknown", ["ticket", "decide", "HD-999", "accept"], b"", "HD-999"),
        (
            "decide-comment-too-long",
            ["ticket", "decide", "HD-1", "accept", "--comment", "-"],
            b"x" * 1_000_001,
            "stdin: more than 1,000,000 characters",
        ),
        ("decide-not-waiting", ["ticket", "decide", "HD-1", "accept"], b"", "not waiting"),
        ("csat-out-of-range", ["ticket", "csat", "HD-3", "9" * 30], b"", "1 to 5"),
        ("csat-not-number", ["ticket", "csat", "HD-3", "five"], b"", "five"),
        ("take-next-unknown-agent", ["--as", "nobody", "ticket", "take-next"], b"", "nobody"),
        ("as-empty", ["--as", "", "ticket", "create", "--subject", "x"], b"", "argument --as"),
        ("as-blank", ["--as=  ", "ticket", "list"], b"", "argument --as"),
        ("as-empty-app", ["--as", ""], b"", "argument --as"),
        # -- the rest
        ("report-week-9999", ["report", "--week", "9999-W52"], b"", "9999"),
        ("report-week-1", ["report", "--week", "0001-W01"], b"", "0001"),
        ("report-month-9999", ["report", "--month", "9999-12"], b"", "9999"),
        ("report-since-year-1", ["report", "--since", "0001-01-01"], b"", "0001-01-01"),
        # The store takes years to 8999, but a report reads on past its period's end.
        ("report-month-8999", ["report", "--month", "8999-12"], b"", "8999-12"),
        ("report-month-8000", ["report", "--month", "8000-01"], b"", "8000-01"),
        ("report-week-8999", ["report", "--week", "8999-W52"], b"", "8999-W52"),
        (
            "report-range-8999",
            ["report", "--since", "8999-12-31", "--until", "8999-12-31T23:59"],
            b"",
            "8999-12-31",
        ),
        ("report-last-huge", ["report", "--last", "999999d"], b"", "1000 years"),
        ("report-until-alone", ["report", "--until", "2026-01-01"], b"", "--since"),
        ("status-format-xml", ["status", "--format", "xml"], b"", "invalid choice"),
        ("status-max-age-zero", ["status", "--max-age", "0"], b"", "1-3600 seconds"),
        ("status-max-age-word", ["status", "--max-age", "soon"], b"", "1-3600 seconds"),
        ("status-max-age-huge", ["status", "--max-age=99999"], b"", "1-3600 seconds"),
        # "²".isdigit() is true: the status cache, read before the command line, took it.
        ("status-max-age-superscript", ["status", "--max-age", "²"], b"", "1-3600 seconds"),
        ("status-max-age-superscript-eq", ["status", "--max-age=²"], b"", "1-3600 seconds"),
        ("status-max-age-arabic", ["status", "--max-age", "٣"], b"", "1-3600 seconds"),
        ("history-limit-superscript", ["agent", "history", "--limit", "²"], b"", "whole number"),
        ("status-unknown-agent", ["--as", "nobody", "status", "--format", "tmux"], b"", "nobody"),
        (
            "status-unreachable",
            [
                "--config",
                w("down.toml", '[backend]\nurl = "postgresql+psycopg://alex@127.0.0.1:1/hd"\n'),
                "status",
            ],
            b"",
            "127.0.0.1",
        ),
        ("handover-since-word", ["handover", "--since", "yesterday"], b"", "yesterday"),
        ("handover-since-negative", ["handover", "--since=-3h"], b"", "-3h"),
        ("handover-since-dash", ["handover", "--since", "-3h"], b"", "--since"),
        ("handover-next-zero", ["handover", "--next", "0"], b"", "duration"),
        ("handover-next-huge", ["handover", "--next", "9" * 40], b"", "duration"),
        ("handover-since-long", ["handover", "--since", "400d"], b"", "30 days"),
        ("handover-format", ["handover", "--format", "html"], b"", "html"),
        ("handover-unknown-agent", ["--as", "nobody", "handover"], b"", "nobody"),
        ("purge-99999y", ["purge", "--older-than", "99999y", "--dry-run"], b"", "1000 years"),
        ("purge-zero", ["purge", "--older-than", "0d"], b"", "0d"),
        ("demo-huge", ["demo", "--tickets", "9" * 30], b"", "--tickets"),
        ("demo-not-empty", ["demo"], b"", "already has tickets"),
        ("sla-sweep-unknown-agent", ["--as", "nobody", "sla", "sweep"], b"", "nobody"),
        ("agent-add-empty", ["agent", "add", ""], b"", "username"),
        ("agent-add-huge-name", ["agent", "add", "bob", "--name", big], b"", "name"),
        ("agent-add-not-email", ["agent", "add", "bob", "--email", "not an email"], b"", "address"),
        ("agent-update-unknown", ["agent", "update", "nobody", "--tier", "2"], b"", "nobody"),
        ("team-add-empty", ["team", "add", ""], b"", "name"),
        ("team-add-huge", ["team", "add", big], b"", "name"),
        ("mail-send-unconfigured", ["mail", "send"], b"", "mail"),
        ("mail-fetch-unconfigured", ["mail", "fetch"], b"", "mail"),
        ("mail-login-unconfigured", ["mail", "login", "smtp", "--stdin"], b"pw\n", "smtp"),
        ("login-no-backend", ["login", "--stdin"], b"token\n", "remote store"),
        ("serve-bad-port", ["serve", "--port", "99999999"], b"", "port"),
        ("config-missing", ["--config", "/nonexistent/c.toml", "ticket", "list"], b"", "c.toml"),
        (
            "config-long-name",
            ["--config", "c" * 300, "ticket", "list"],
            b"",
            "argument --config: file name too long",
        ),
        (
            "config-not-toml",
            ["--config", w("bad.toml", "[[views"), "ticket", "list"],
            b"",
            "bad.toml",
        ),
        (
            "config-view-due-overflow",
            [
                "--config",
                w("v.toml", '[[views]]\nname = "x"\nfilter = "due:<99999999999999999999d"\n'),
            ],  # no command: the app, which reads its views before it starts
            b"",
            "due",
        ),
        (
            "config-nested-arrays",
            ["--config", w("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000), "ticket", "list"],
            b"",
            "deep.toml: not valid TOML: nested too deeply",
        ),
        (
            "config-nested-tables",
            [
                "--config",
                w("deep2.toml", "a = " + "{b=" * 100_000 + "}" * 100_000),
                "ticket",
                "list",
            ],
            b"",
            "deep2.toml",
        ),
        (
            "config-data-dir-proc",
            [
                "--config",
                w("dd.toml", '[paths]\ndata_dir = "/proc/nonexistent"\n'),
                "ticket",
                "create",
                "--subject",
                "x",
            ],
            b"",
            "cannot make the data folder /proc/nonexistent",
        ),
        (
            "policy-duration-overflow",
            [
                "--config",
                sla_config("p1", _policy("first_response", "99999999999999999999h")),
                "ticket",
                "create",
                "--subject",
                "x",
            ],
            b"",
            "priorities.critical.first_response: '99999999999999999999h' is longer than 365 days",
        ),
        (
            "policy-duration-years",
            [
                "--config",
                sla_config("p2", _policy("resolution", "9999999d")),
                "ticket",
                "show",
                "HD-1",
            ],
            b"",
            "p2-policy.toml: line 4: priorities.critical.resolution",
        ),
        (
            "policy-nested",
            [
                "--config",
                sla_config("p3", "a = " + "[" * 100_000 + "]" * 100_000),
                "sla",
                "sweep",
            ],
            b"",
            "p3-policy.toml: not valid TOML",
        ),
        ("unknown-command", ["frobnicate"], b"", "invalid choice"),
    ]
    return cases


CASE_IDS = [case[0] for case in _cases(Path("files"), write=False)]


@pytest.fixture(scope="module")
def cases(store: Store) -> dict[str, tuple[list[str], bytes, str]]:
    return {name: (argv, stdin, word) for name, argv, stdin, word in _cases(store.files)}


@pytest.fixture(scope="module")
def before(store: Store) -> bytes:
    exported = store.export()
    assert exported.count(b"\n") == 3  # the three tickets: a comparison that can fail
    return exported


@pytest.mark.parametrize("name", CASE_IDS)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    store: Store, cases: dict[str, tuple[list[str], bytes, str]], before: bytes, name: str
) -> None:
    argv, stdin, word = cases[name]
    done = store.run(*argv, stdin=stdin)
    err = done.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in done.stderr, err
    assert done.returncode == 2, (done.returncode, err[:500])
    assert err.count("\n") == 1 and err.endswith("\n"), err[:500]
    assert err.startswith("helpdesk-tui"), err[:500]
    assert word.lower() in err.lower(), err[:500]
    assert "\x1b" not in err  # an escape sequence in the input is shown, not sent
    assert len(err) < 1000  # a huge input is quoted in part
    assert store.export() == before


@pytest.mark.parametrize(
    ("variable", "value", "word"),
    [
        ("HELPDESK_TUI_NOW", "9999-12-31T23:59:59+00:00", "outside the years 1970 to 8999"),
        ("HELPDESK_TUI_NOW", "0001-01-01T00:00:00+00:00", "HELPDESK_TUI_NOW"),
        ("HELPDESK_TUI_NOW", "0001-01-01T00:00:00+05:00", "HELPDESK_TUI_NOW"),
        ("HELPDESK_TUI_NOW", "9000-01-01T00:00:00+00:00", "HELPDESK_TUI_NOW"),
        ("HELPDESK_TUI_DATA_DIR", "/proc/x", "cannot make the data folder /proc/x"),
        ("HELPDESK_TUI_DATA_DIR", "{file}/data", "Not a directory"),
    ],
)
@pytest.mark.parametrize("argv", [["ticket", "list"], ["ticket", "create", "--subject", "x"]])
def test_a_bad_environment_is_one_line_exit_2_and_changes_nothing(
    store: Store, before: bytes, variable: str, value: str, word: str, argv: list[str]
) -> None:
    value = value.format(file=_write(store.files, "plain-file", "x"))
    done = subprocess.run(
        [str(SCRIPT), *argv],
        capture_output=True,
        env={**store.env, variable: value},
        cwd=store.root,
        timeout=60,
    )
    err = done.stderr.decode("utf-8", "replace")
    assert (done.returncode, done.stdout) == (2, b""), err
    assert err.count("\n") == 1 and err.startswith("helpdesk-tui: "), err
    assert word in err, err
    assert store.export() == before


def test_a_closed_pipe_ends_quietly(store: Store) -> None:
    # `true` reads nothing and exits long before the interpreter has started: the first
    # write meets a closed pipe, as `| head -2` does once it has its lines.
    for argv in (["ticket", "list"], ["ticket", "list", "--json"], ["export", "-"], ["report"]):
        script = f"{SCRIPT} {' '.join(argv)} | true; echo ${{PIPESTATUS[0]}} >&2"
        done = subprocess.run(
            ["bash", "-c", script], capture_output=True, env=store.env, timeout=60
        )
        err = done.stderr.decode()
        # Python's own ending is a traceback and status 1; a Unix tool's is silence, 141.
        assert "Traceback" not in err and "BrokenPipe" not in err, err
        assert err.strip() in ("0", "141"), err


def test_excel_csv_with_a_bom_and_crlf_is_read(store: Store, tmp_path: Path) -> None:
    env = {**store.env, "HELPDESK_TUI_DATA_DIR": str(tmp_path / "fresh")}
    path = tmp_path / "excel.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"subject,priority,tier\r\nCaf\xc3\xa9 down,high,2\r\n")
    done = subprocess.run(
        [str(SCRIPT), "import", str(path)], capture_output=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [str(SCRIPT), "ticket", "list", "--json"], capture_output=True, env=env, timeout=60
    )
    [ticket] = json.loads(listed.stdout)["tickets"]
    assert (ticket["subject"], ticket["priority"], ticket["tier"]) == ("Café down", "high", 2)
