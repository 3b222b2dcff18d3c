"""Themes are files: `themes/*.toml` beside the project, and the user's own in the
config dir. Each becomes a `textual.theme.Theme`; TCSS only uses `$primary`, `$error`,
..., so one stylesheet serves them all."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import platformdirs
from textual.theme import Theme

from ..config import APP_NAME, ConfigError

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


def theme_dirs() -> list[Path]:
    dirs = []
    if os.environ.get(THEMES_ENV):
        dirs.append(Path(os.environ[THEMES_ENV]))
    dirs.append(platformdirs.user_config_path(APP_NAME) / "themes")
    # The project's own themes/ folder (src layout: src/helpdesk_tui/ui/themes.py).
    dirs.append(Path(__file__).resolve().parents[3] / "themes")
    return dirs


def parse_theme(text: str, origin: str) -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"theme {origin}: not valid TOML: {exc}") from None
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
        for path in sorted(folder.glob("*.toml")):
            theme = parse_theme(path.read_text(encoding="utf-8"), str(path))
            found[theme.name] = theme
    return list(found.values())
