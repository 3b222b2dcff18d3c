"""The bundled themes ship inside the wheel (issue 13, acceptance line 5).

`themes/` stays at the top of the project, and the build maps it into the package. Here
the wheel is built from the checkout the way `pipx install .` and `uv tool install .`
build it, installed into a clean virtual environment (no editable install, no checkout
on sys.path), and the installed `helpdesk-tui` is started in tmux once with each theme:
its colours are read back from the screen. A theme that is not there is a warning on
screen, never Textual's default theme in silence (what `pip install .` used to give).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpdesk_tui.settings.config import ConfigError
from helpdesk_tui.ui.themes import bundled_dir, choose_theme, load_themes, parse_theme
from tests.conftest import FROZEN
from tests.ui.conftest import ME

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "helpdesk_tui"
THEMES = sorted(ROOT.glob("themes/*.toml"))
TEXTUAL_DEFAULT_BACKGROUND = "18;18;18"  # textual-dark's #121212: the silent fallback


def _rgb(colour: str) -> str:
    """ "#161A21" → "22;26;33", as an SGR 24-bit colour writes it."""
    value = colour.lstrip("#")
    return ";".join(str(int(value[i : i + 2], 16)) for i in (0, 2, 4))


# -- which theme (no wheel needed) -----------------------------------------------------


def test_the_checkout_has_the_three_bundled_themes_and_a_dev_install_finds_them() -> None:
    assert [p.name for p in THEMES] == [
        "helpdesk-contrast.toml",
        "helpdesk-dark.toml",
        "helpdesk-light.toml",
    ]
    # The test environment is an editable install: the package has no themes/ of its
    # own, so the checkout's folder is the one used, and edits to it show at once.
    assert str(bundled_dir()) == str(ROOT / "themes")
    names = {theme.name for theme in load_themes()}
    assert {"helpdesk-dark", "helpdesk-light", "helpdesk-contrast"} <= names


def test_a_theme_that_is_not_there_is_reported_never_passed_over() -> None:
    available = {"helpdesk-dark", "helpdesk-light", "textual-dark"}
    # The theme picked in the app wins over the config's.
    choice = choose_theme("helpdesk-light", "helpdesk-dark", available)
    assert (choice.name, choice.missing) == ("helpdesk-light", None)
    assert choose_theme(None, "helpdesk-dark", available).missing is None
    # A remembered theme since removed: the config's is used, and that is said.
    choice = choose_theme("night-shift", "helpdesk-dark", available)
    assert (choice.name, choice.missing) == ("helpdesk-dark", "night-shift")
    # A configured theme that is not there (a typo, or a wheel without its themes):
    # nothing to switch to, and the name asked for is what the warning names.
    choice = choose_theme(None, "helpdesk-drak", available)
    assert (choice.name, choice.missing) == (None, "helpdesk-drak")
    choice = choose_theme("gone", "helpdesk-drak", available)
    assert (choice.name, choice.missing) == (None, "helpdesk-drak")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("name = ", "not valid TOML"),
        ("a = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('primary = "#112233"', "needs a name"),
    ],
)
def test_a_theme_file_that_cannot_be_read_is_one_line(text: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_theme(text, "night.toml")
    assert said in str(refused.value) and "\n" not in str(refused.value)


# -- the wheel ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def app(self) -> Path:
        return self.venv / "bin" / "helpdesk-tui"


def _run(*args: str | Path, cwd: Path, timeout: float) -> str:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)  # the clean venv must not see the checkout
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{shlex.join(map(str, args))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from the checkout, installed into a fresh venv: once a session,
    since installing its dependencies (from pip's cache or PyPI) takes most of the time."""
    where = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", where, ROOT,
         cwd=where, timeout=300)  # fmt: skip
    (wheel,) = where.glob("helpdesk_tui-*.whl")
    venv = where / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=where, timeout=120)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=where, timeout=600)
    return Installed(wheel, venv)


def test_the_wheel_ships_the_themes_and_all_the_package_data(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        for theme in THEMES:
            shipped = wheel.read(f"helpdesk_tui/themes/{theme.name}")
            assert shipped == theme.read_bytes(), theme.name
    # Everything in the package ships, data files included (the list setuptools'
    # package-data gave: stylesheets, SLA policies, migrations with their .mako, mail
    # templates, locale catalogues); compiled leftovers in __pycache__ do not.
    in_checkout = {
        "helpdesk_tui/" + path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert in_checkout - names == set()
    for pattern in (
        r"ui/app\.tcss",
        r"ui/screens/metrics\.tcss",
        r"settings/policies/default\.toml",
        r"settings/macros_default/password-reset\.toml",
        r"settings/macros_default/need-logs\.md",
        r"store/sql/migrations/script\.py\.mako",
        r"store/sql/migrations/versions/0001_initial\.py",
        r"mail/templates/reply\.txt",
        r"locale/sv/LC_MESSAGES/helpdesk_tui\.mo",
        r"locale/pt/LC_MESSAGES/helpdesk_tui\.po",
        r"domain/triage/model\.bin",
    ):
        assert any(re.fullmatch("helpdesk_tui/" + pattern, n) for n in names), pattern
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    assert "helpdesk_tui-0.1.0.dist-info/entry_points.txt" in names


def test_the_installed_package_reads_its_own_themes_not_the_checkouts(
    installed: Installed, tmp_path: Path
) -> None:
    probe = (
        "import helpdesk_tui; from helpdesk_tui.ui.themes import bundled_dir, load_themes;"
        "print(helpdesk_tui.__file__); print(bundled_dir());"
        "print(sorted(t.name for t in load_themes()))"
    )
    out = _run(installed.python, "-c", probe, cwd=tmp_path, timeout=60).splitlines()
    site = installed.venv.resolve()
    assert Path(out[0]).resolve().is_relative_to(site), out
    assert Path(out[1]).resolve() == Path(out[0]).resolve().parent / "themes", out
    assert out[2] == str(["helpdesk-contrast", "helpdesk-dark", "helpdesk-light"]), out


# -- the installed app in a terminal -----------------------------------------------------


class Terminal:
    """The installed `helpdesk-tui` in a tmux pane of its own, with HOME and the XDG
    folders in tmp_path and nothing of the checkout around it."""

    def __init__(self, app: Path, home: Path, theme: str, size: tuple[int, int]) -> None:
        config = home / ".config" / "helpdesk-tui" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f'[ui]\ntheme = "{theme}"\n', encoding="utf-8")
        env = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "HELPDESK_AGENT": ME,
            "HELPDESK_TUI_NOW": FROZEN.isoformat(),
            # A terminal that says it draws 24-bit colour, so the theme's colours are
            # written as they are (48;2;R;G;B) and can be compared exactly.
            "COLORTERM": "truecolor",
            "TERM": "tmux-256color",
        }
        assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # -u: the suite's own variables must not reach the installed app; COLUMNS and
        # LINES from a detached tmux server would override the pane's size.
        unset = "-u COLUMNS -u LINES -u HELPDESK_TUI_DATA_DIR -u HELPDESK_TUI_CONFIG"
        unset += " -u HELPDESK_TUI_THEMES -u PYTHONPATH -u NO_COLOR"
        command = f"cd {shlex.quote(str(home))} && env {unset} {assigns} {shlex.quote(str(app))}"
        command += "; echo exit-status=$?; sleep 60"
        self.socket = f"helpdesk-wheel-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        width, height = size
        self.tmux("new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height), command)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def styled_screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-e", "-t", "app")

    def wait_until(self, what: str, shown: Callable[[str], bool], timeout: float = 60.0) -> str:
        """The screen once `shown(screen)` holds and two captures in a row agree."""
        end, before = time.monotonic() + timeout, ""
        while True:
            screen = self.screen()
            if screen == before and shown(screen):
                return screen
            assert "exit-status=" not in screen, f"the app ended:\n{screen}"
            assert time.monotonic() < end, f"{what}: not on screen after {timeout:.0f}s\n{screen}"
            before = screen
            time.sleep(0.2)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


def _colours(styled: str) -> set[str]:
    """Every 24-bit colour the screen uses, as "38;R;G;B" (text) or "48;R;G;B" (cell)."""
    found = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", styled):
        codes = params.split(";")
        for i, code in enumerate(codes):
            if code in ("38", "48") and codes[i + 1 : i + 2] == ["2"]:
                found.add(";".join([code, *codes[i + 2 : i + 5]]))
    return found


def _queue_filled(screen: str) -> bool:
    """The queue with the first run's demo tickets in it, and its footer drawn."""
    lines = screen.splitlines()
    return (
        lines[0].lstrip().startswith("My open · ")
        and " 0 tickets" not in lines[0]
        and sum(line.lstrip().startswith("HD-") for line in lines) >= 3
        and "Select" in lines[-1]
    )


@pytest.fixture
def terminal(installed: Installed, tmp_path: Path) -> Iterator[Callable[[str], Terminal]]:
    started: list[Terminal] = []

    def start(theme: str) -> Terminal:
        started.append(Terminal(installed.app, tmp_path / "home", theme, (80, 24)))
        return started[-1]

    try:
        yield start
    finally:
        for one in started:
            one.kill()


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@needs_tmux
@pytest.mark.slow
@pytest.mark.parametrize("path", THEMES, ids=[p.stem for p in THEMES])
def test_the_installed_app_draws_each_bundled_theme(
    terminal: Callable[[str], Terminal], path: Path
) -> None:
    theme = tomllib.loads(path.read_text(encoding="utf-8"))
    app = terminal(theme["name"])
    screen = app.wait_until("the queue", _queue_filled)
    assert "not found" not in screen, screen
    colours = _colours(app.styled_screen())
    # The theme's own colours, exactly: the screen's background and its panel (the
    # footer) behind the text, the foreground as the table's text colour...
    assert f"48;{_rgb(theme['background'])}" in colours, sorted(colours)
    assert f"48;{_rgb(theme['panel'])}" in colours, sorted(colours)
    assert f"38;{_rgb(theme['foreground'])}" in colours, sorted(colours)
    # ...and a [variables] entry: the footer's key letters.
    keys = theme["variables"]["footer-key-foreground"]
    assert f"38;{_rgb(keys)}" in colours, sorted(colours)
    assert f"48;{TEXTUAL_DEFAULT_BACKGROUND}" not in colours, sorted(colours)


@needs_tmux
@pytest.mark.slow
def test_the_installed_app_warns_of_a_theme_it_cannot_find(
    terminal: Callable[[str], Terminal],
) -> None:
    app = terminal("helpdesk-drak")
    screen = app.wait_until("the warning", lambda s: "not found" in s and _queue_filled(s))
    # The notification: the right-hand column behind its "▌" edge, wrapped at 80 columns.
    toasts = " ".join(line.rpartition("▌")[2].strip() for line in screen.splitlines())
    flat = " ".join(toasts.split())
    assert "Theme helpdesk-drak was not found; showing textual-dark." in flat, screen
    # ...and the app still runs, on Textual's default theme, with the queue there.
    assert "My open" in screen, screen
    assert f"48;{TEXTUAL_DEFAULT_BACKGROUND}" in _colours(app.styled_screen())
