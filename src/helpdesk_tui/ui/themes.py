"""Themes are files: the bundled ones (kept in the project's top-level `themes/`, shipped
inside the package as `helpdesk_tui/themes/`) and the user's own in the config dir.
Each becomes a `textual.theme.Theme`; TCSS only uses `$primary`, `$error`, ..., so one
stylesheet serves them all."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs
from textual.theme import Theme

from ..domain.toml_text import TomlError, read_toml
from ..settings.config import APP_NAME, ConfigError

THEMES_ENV = "HELPDESK_TUI_THEMES"
_COLOURS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_PACKAGE = __name__.partition(".")[0]


def bundled_dir() -> Traversable | None:
    """Where the bundled themes are. An installed wheel has them in the package (the
    build maps `themes/` there); an editable install or a bare checkout has only the
    project's own `themes/` beside `src/`, so that is the fallback for development."""
    packaged = files(_PACKAGE) / "themes"
    if packaged.is_dir():
        return packaged
    root = Path(__file__).resolve().parents[3]  # src/helpdesk_tui/ui/themes.py
    if (root / "pyproject.toml").is_file() and (root / "themes").is_dir():
        return root / "themes"
    return None


def theme_dirs() -> list[Traversable]:
    """Folders in the order they win: `$HELPDESK_TUI_THEMES`, the user's, the bundled."""
    dirs: list[Traversable] = []
    if os.environ.get(THEMES_ENV):
        dirs.append(Path(os.environ[THEMES_ENV]))
    dirs.append(platformdirs.user_config_path(APP_NAME) / "themes")
    bundled = bundled_dir()
    if bundled is not None:
        dirs.append(bundled)
    return dirs


def parse_theme(text: str, origin: str) -> Theme:
    try:
        data = read_toml(text)
    except TomlError as exc:
        raise ConfigError(f"theme {origin}: {exc}") from None
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"theme {origin}: needs a name")
    if not isinstance(data.get("primary"), str):
        raise ConfigError(f"theme {origin}: needs a primary colour")
    colours = {key: str(data[key]) for key in _COLOURS if key in data}
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ConfigError(f"theme {origin}: [variables] must be a table")
    theme = Theme(
        name=name,
        primary=colours.pop("primary"),
        dark=bool(data.get("dark", True)),
        variables={str(k): str(v) for k, v in variables.items()},
    )
    for key, value in colours.items():
        setattr(theme, key, value)
    return theme


def load_themes() -> list[Theme]:
    """Every theme found; a user's file of the same name wins over the bundled one."""
    found: dict[str, Theme] = {}
    for folder in reversed(theme_dirs()):
        if not folder.is_dir():
            continue
        paths = [p for p in folder.iterdir() if p.name.endswith(".toml") and p.is_file()]
        for path in sorted(paths, key=lambda p: p.name):
            theme = parse_theme(path.read_text(encoding="utf-8"), str(path))
            found[theme.name] = theme
    return list(found.values())


@dataclass(frozen=True)
class ThemeChoice:
    name: str | None
    """The theme to switch to; None keeps the app's current one."""
    missing: str | None = None
    """A theme that was asked for and is not there: the app must say so."""


def choose_theme(remembered: object, configured: str, available: set[str]) -> ThemeChoice:
    """The theme picked in the app (remembered) wins over the config's. Either one not
    being there is reported rather than passed over: a wheel without its themes, or a
    typo in the config, would otherwise look like the app ignoring the setting."""
    if isinstance(remembered, str) and remembered in available:
        return ThemeChoice(remembered)
    if configured in available:
        lost = remembered if isinstance(remembered, str) and remembered else None
        return ThemeChoice(configured, missing=lost)
    return ThemeChoice(None, missing=configured)
