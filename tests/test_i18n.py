"""Languages (issue #7): every marked string and packaged mail template is translated
into Swedish and Portuguese, placeholders survive translation, the compiled catalogues
match their sources, no prose reaches the screen unmarked, and the language is chosen
from the config, else from the locale."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from helpdesk_tui.domain.followup import MailKind
from helpdesk_tui.mail.templates import PLACEHOLDERS, Templates
from helpdesk_tui.settings import i18n
from helpdesk_tui.settings.config import ConfigError, load_settings
from tests.ui.test_tmux import table_header
from tests.ui.test_tmux import tmux_app as tmux_app  # the entry-point tests' fixture

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "src" / "helpdesk_tui" / "ui"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


script = _load_script()


# -- the catalogues ------------------------------------------------------------------


def test_every_marked_string_is_translated_in_every_language() -> None:
    source = script.extract()
    assert len(source) > 250  # the UI and the six mail templates are marked
    templates = [e for e in source.values() if e.where and e.where[0].endswith(".txt")]
    assert len(templates) == len(list(script.TEMPLATES.glob("*.txt"))) == 6
    missing = script.untranslated()
    assert set(missing) == {"sv", "pt"}
    assert missing == {"sv": [], "pt": []}, "run scripts/i18n.py extract, translate, compile"


def test_translations_keep_the_placeholders_and_format_fields() -> None:
    assert script.mismatched() == {"sv": [], "pt": []}
    # The check itself sees a dropped, a renamed and a spare field.
    assert script.fields("Hello $requester, ${key}: {count:,} $$5") == [
        "$key",
        "$requester",
        "{count:,}",
    ]
    assert script.fields("{key} is yours") != script.fields("{nyckel} är ditt")
    assert script.fields("$key") != script.fields("$key $key")


@pytest.mark.parametrize("language", script.LANGUAGES)
def test_each_compiled_catalogue_matches_its_po(language: str) -> None:
    po = script.po_path(language)
    header, entries = script.read_po(po)
    assert po.with_suffix(".mo").read_bytes() == script.mo_bytes(header, entries), (
        f"{po.with_suffix('.mo').name} is stale: run scripts/i18n.py compile"
    )


def test_the_catalogues_translate_what_the_app_shows() -> None:
    sv, pt = i18n.translations("sv"), i18n.translations("pt")
    assert sv.gettext("Queue") == "Kö" and pt.gettext("Queue") == "Fila"
    assert sv.ngettext("{count:,} answer", "{count:,} answers", 2) == "{count:,} svar"
    assert pt.ngettext("{count:,} breach", "{count:,} breaches", 1) == "{count:,} violação"
    assert i18n.translations("en").gettext("Queue") == "Queue"


def test_the_screens_names_for_stored_values_are_translated_and_the_cli_stays_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk_tui.cli.main import main
    from helpdesk_tui.domain.model import Priority, Status, TicketType
    from helpdesk_tui.domain.periods import Period
    from helpdesk_tui.domain.sla import TargetKind
    from helpdesk_tui.service.views import SAVED_VIEWS
    from helpdesk_tui.store.base import SortKey
    from helpdesk_tui.ui.labels import period_title, sort_name

    at = datetime(2026, 3, 9, 12, tzinfo=UTC)
    try:
        i18n.install("sv")
        assert i18n.label(Status.OPEN.label) == "öppen"
        assert i18n.label(Status.ON_HOLD.label) == "pausad"
        assert i18n.label(Priority.MEDIUM.label) == "medel"
        assert i18n.label(TicketType.SERVICE_REQUEST.label) == "tjänstebegäran"
        assert i18n.label(TargetKind.FIRST_RESPONSE.label) == "första svar"
        assert i18n.label(SAVED_VIEWS["my_open"].title) == "Mina öppna"
        assert i18n.label(SAVED_VIEWS["tier_2"].title) == "Nivå 2"
        assert i18n.label("A team's own view") == "A team's own view"
        assert sort_name(SortKey.SLA_DUE) == "SLA-tid"
        assert (
            period_title(Period.rolling(at, 30))
            == "senaste 30 dagarna (2026-02-07 12:00 → 2026-03-09 12:00)"
        )
        assert period_title(Period.month(at)).startswith("februari 2026 (")
        i18n.install("pt")
        assert i18n.label(Status.OPEN.label) == "aberto"
        assert i18n.label(SAVED_VIEWS["all_open"].title) == "Todos abertos"
    finally:
        i18n.install("en")
    # The stored values and their English labels are what the CLI and JSON print.
    assert Status.OPEN.label == "open" and SAVED_VIEWS["my_open"].title == "My open"
    assert sort_name(SortKey.SLA_DUE) == "SLA due"  # the UI says it in words
    assert period_title(Period.month(at)) == Period.month(at).title()
    assert period_title(Period.rolling(at, 30)) == Period.rolling(at, 30).title()
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    config = ["--config", str(_config(tmp_path, f'[paths]\ndata_dir = "{tmp_path}"\n'))]
    try:
        assert main([*config, "ticket", "create", "--subject", "Login fails"]) == 0
        capsys.readouterr()
        code = main([*config, "ticket", "list", "--json"])
    finally:
        i18n.install("en")
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"new"' in out and '"medium"' in out
    assert '"ny"' not in out and '"medel"' not in out


# -- nothing left unmarked -------------------------------------------------------------

_KEY_NAME = re.compile(r"^(?:(?:ctrl|shift|alt|meta)\+)*(?:[a-z0-9_]+|f\d+)$")
_PROSE = re.compile(r"[^\W\d_]{2,}")
_TICKET_KEY = re.compile(r"^[A-Z]{1,10}-\d+$")  # an example key, "HD-1042"
_WIDGETS = {"Static": 1, "Label": 1, "Button": 1, "Option": 1, "SystemCommand": 2}
_METHODS = {"notify": 1, "say": 1}


def _unmarked(node: ast.expr | None) -> str | None:
    """The text of `node` if it is prose shown as it is: a literal or an f-string, also
    inside Text(...) or a `+`; a marked `_()` / `ngettext()` is fine, so is a name."""
    if node is None:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "Text" and node.args:
            return _unmarked(node.args[0])
        return None
    if isinstance(node, ast.BinOp):
        return _unmarked(node.left) or _unmarked(node.right)
    if isinstance(node, ast.JoinedStr):
        literal = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        return ast.unparse(node) if _PROSE.search(literal) else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        if not text or _KEY_NAME.match(text) or _TICKET_KEY.match(text):
            return None
        if not _PROSE.search(text):
            return None
        return node.value
    return None


def _shown_texts(call: ast.Call) -> list[ast.expr | None]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    keywords = {k.arg: k.value for k in call.keywords}
    if name == "Binding":
        return [call.args[2] if len(call.args) > 2 else keywords.get("description")]
    if isinstance(func, ast.Name) and name in _WIDGETS:
        return [*call.args[: _WIDGETS[name]], keywords.get("placeholder")]
    if isinstance(func, ast.Attribute) and name in _METHODS:
        return [*call.args[: _METHODS[name]], keywords.get("title")]
    if name in ("LineInput", "TitleBar", "PromptScreen", "ChoiceScreen", "TabPane"):
        return [*call.args[:1], keywords.get("placeholder"), keywords.get("prompt")]
    return []


def unmarked_prose(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for arg in _shown_texts(node):
                    text = _unmarked(arg)
                    if text is not None:
                        found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def test_no_prose_reaches_the_screen_unmarked() -> None:
    assert unmarked_prose(sorted(UI.rglob("*.py"))) == []


def test_the_lint_catches_unmarked_prose(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "BINDINGS = [Binding('q', 'quit', 'Quit'), Binding('x', 'y', _('Fine'))]\n"
        "self.notify(f'{key} is yours')\n"
        "self.app.notify(_('{key} is yours').format(key=key), title='Not done')\n"
        "status.say('store down', error=True)\n"
        "yield Static(Text('computing…'), id='summary')\n"
        "yield Static(Text(''), id='empty')\n"
        "yield Button('ctrl+s', id='keys')\n"
        "yield Label(Text(self.title_text))\n"
        "SystemCommand(_('Queue'), 'The ticket queue', go)\n"
        "Option(Text(safe_line(label)), id='1')\n",
        encoding="utf-8",
    )
    shown = sorted(line.split(": ", 1)[1] for line in unmarked_prose([sample]))
    assert shown == sorted(
        [
            "'Quit'",
            repr("f'{key} is yours'"),
            "'Not done'",
            "'store down'",
            "'computing…'",
            "'The ticket queue'",
        ]
    )


# -- choosing the language ----------------------------------------------------------


@pytest.fixture
def no_locale(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "helpdesk-tui.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_wins_over_the_locale(tmp_path: Path, no_locale: pytest.MonkeyPatch) -> None:
    no_locale.setenv("LANG", "pt_PT.UTF-8")
    settings = load_settings(_config(tmp_path, '[ui]\nlanguage = "sv"\n'))
    assert settings.language == "sv" and settings.mail.language == "sv"
    settings = load_settings(_config(tmp_path, '[ui]\nlanguage = "SV"\n[mail]\nlanguage = "en"\n'))
    assert settings.language == "sv" and settings.mail.language == "en"


def test_without_a_config_the_locale_decides(tmp_path: Path, no_locale: pytest.MonkeyPatch) -> None:
    path = _config(tmp_path, "[ui]\n")
    assert load_settings(path).language == "en"
    no_locale.setenv("LANG", "pt_BR.UTF-8")
    assert load_settings(path).language == "pt"
    no_locale.setenv("LC_MESSAGES", "sv_SE.UTF-8")
    assert load_settings(path).language == "sv"
    no_locale.setenv("LC_ALL", "de_DE.UTF-8")  # set, but no catalogue: English
    assert load_settings(path).language == "en"
    no_locale.setenv("LANGUAGE", "fr:pt:sv")  # a list: the first one we have
    assert load_settings(path).language == "pt"
    assert i18n.choose(None, {"LANG": "C.UTF-8"}) == "en"


@pytest.mark.parametrize("table", ["ui", "mail"])
def test_an_unknown_language_is_a_one_line_config_error(tmp_path: Path, table: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, f'[{table}]\nlanguage = "klingon"\n'))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'helpdesk-tui.toml'}, line 2: "), message
    assert f"{table}.language: no catalogue for 'klingon'" in message
    assert "en, pt, sv" in message


def test_the_cli_reports_an_unknown_language_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from helpdesk_tui.cli.main import main

    path = _config(tmp_path, '[ui]\nlanguage = "xx"\n')
    assert main(["--config", str(path), "ticket", "list"]) != 0
    err = capsys.readouterr().err
    assert "ui.language: no catalogue for 'xx'" in err and "Traceback" not in err


# -- the outgoing mail ----------------------------------------------------------------

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS} | {"key": "HD-1042", "subject": "Login"}


def test_a_template_in_swedish_keeps_the_ticket_key() -> None:
    subject, body = Templates(language="sv")[MailKind.ACKNOWLEDGEMENT].render(VALUES)
    assert subject == "Vi har tagit emot ditt ärende: Login"
    assert "Ditt ärende har registrerats som HD-1042." in body
    assert body.startswith("Hej <requester>,") and "Support" in body


@pytest.mark.parametrize("language", ["en", "sv", "pt"])
def test_every_packaged_template_renders_in_every_language(language: str) -> None:
    templates = Templates(language=language)
    english = Templates()
    for kind in MailKind:
        subject, body = templates[kind].render(VALUES)
        assert "HD-1042" in subject + body
        if language != "en":
            assert (subject, body) != english[kind].render(VALUES), kind
    # The survey's answers are recognised by "CSAT" in the subject, the resolution's by
    # the word CONFIRM: both stay as they are in every language.
    assert "CSAT" in templates[MailKind.CSAT_REQUEST].render(VALUES)[0]
    assert "CONFIRM" in templates[MailKind.RESOLUTION].render(VALUES)[1]


def test_a_teams_own_template_is_sent_as_written(tmp_path: Path) -> None:
    (tmp_path / "acknowledgement.txt").write_text(
        "Subject: Got it: $subject\n\nHi $requester, $key it is.\n", encoding="utf-8"
    )
    subject, body = Templates(tmp_path, "sv")[MailKind.ACKNOWLEDGEMENT].render(VALUES)
    assert (subject, body) == ("Got it: Login", "Hi <requester>, HD-1042 it is.\n")
    # The kinds the team did not write are still the packaged ones, in Swedish.
    assert Templates(tmp_path, "sv")[MailKind.CLOSED].render(VALUES)[0] == "Stängt: Login"


# -- the real app, in a real terminal ---------------------------------------------------

tmux_needed = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


LOCALES = {
    # language: LANG, the queue's header, its footer, the SLA board's title, a ticket's tabs
    "sv": ("sv_SE.UTF-8", ["Nyckel", "Pri", "Ämne"], "Markera", "SLA-tavla ·", "Konversation"),
    "pt": ("pt_PT.UTF-8", ["Chave", "Pri", "Assunto"], "Marcar", "Painel SLA ·", "Conversa"),
}


STATUS_WORDS = {"sv": {"ny", "öppen", "väntar", "pausad"}, "pt": {"novo", "aberto", "pendente"}}
VIEW_TITLES = {"sv": "Mina öppna", "pt": "Meus abertos"}


@tmux_needed
@pytest.mark.parametrize("language", sorted(LOCALES))
def test_the_app_speaks_the_locales_language(
    tmux_app: Callable[..., object], tmp_path: Path, language: str
) -> None:
    from tests.ui.test_tmux import Tmux

    lang, header, footer, board, tab = LOCALES[language]
    env = {"LANG": lang, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
    # A first run: the demo tickets are made, then the queue opens in the locale's language.
    app = tmux_app(tmp_path / "data", (100, 30), env)
    assert isinstance(app, Tmux)

    def queue(lines: list[str]) -> bool:
        # The queue is laid out before the store is open: wait for its rows too.
        rows = any(line.lstrip().startswith("HD-") for line in lines[2:-1])
        shown = table_header(lines, header[0]).split()[:3] == header
        return shown and footer in lines[-1] and rows

    lines = app.wait_until("the queue", queue, timeout=60)
    assert all(len(x) <= 100 for x in lines)
    # The rows' status column and the title's view and sort are in the language too.
    words = {word for line in lines[2:-1] for word in line.split()}
    assert words & STATUS_WORDS[language], lines
    assert VIEW_TITLES[language] in lines[0], lines[0]
    app.keys("Enter")
    app.wait_until("the ticket", lambda ls: tab in "\n".join(ls))
    app.keys("F4")
    lines = app.wait_until("the SLA board", lambda ls: ls[0].lstrip().startswith(board))
    app.quit()
