"""Macro files: a folder of TOML or Markdown files, one canned reply each.

Where they are read from, each later folder overriding a same-named file of an earlier
one (see docs/macros.md):

1. `[macros] dir` of the config, a folder the whole team shares (a common mount);
2. its `<team>/` folder, for agents of that team (the agent's team in the store);
3. `macros/` beside the config file in use (else in the user config dir);
4. its `<team>/` folder.

Without any of these folders the macros packaged in `macros_default/` are used.

A file's problems are one line each, naming the file, the line where known, and the key:
`macros/password.toml, line 7: changes.status: 'sideways' is not a status`. A bad file
takes only its own name out of use: the others still load, and asking for a macro of
that name gives its problem.

pydantic checks the shape and types (as schema.py does for the config file); the rules
of a macro itself are domain/macros.py's, whatever the file looked like.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from ..domain.macros import Macro, MacroChanges, MacroError, SharedMacro
from ..domain.model import Priority, Status
from ..domain.toml_text import TomlError, read_toml
from . import toml_lines
from .config import APP_NAME, ConfigError, Settings

FOLDER = "macros"
DEFAULTS_DIR = Path(__file__).with_name("macros_default")
SUFFIXES = (".toml", ".md")
MAX_FILE_BYTES = 256 * 1024
"""A macro file is a few kilobytes; anything much bigger is not one (a log dropped in)."""

_RULE = "macro_rule"


class MacroFileError(ConfigError):
    """A macro file (or the macro asked for) that cannot be used: one line."""


# -- the file's shape ------------------------------------------------------------------


def _enum(kind: type[Status] | type[Priority], what: str) -> Any:
    def parse(value: object) -> object:
        if not isinstance(value, str):
            raise PydanticCustomError(_RULE, f"expected a string, got {_shown(value)}")
        try:
            return kind.parse(value)
        except ValueError:
            choices = ", ".join(member.value for member in kind)
            raise PydanticCustomError(
                _RULE, f"{_shown(value)} is not a {what} (choose from {choices})"
            ) from None

    return BeforeValidator(parse)


def _bodies(value: object) -> object:
    # `body = "..."` is the English body; a [body] table has one per language.
    return {"en": value} if isinstance(value, str) else value


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChangesTable(_Table):
    status: Annotated[Status | None, _enum(Status, "status")] = None
    priority: Annotated[Priority | None, _enum(Priority, "priority")] = None
    tags: list[str] = Field(default_factory=list)
    assignee: str | None = None


class MacroFile(_Table):
    title: str
    body: Annotated[dict[str, str], BeforeValidator(_bodies)]
    changes: ChangesTable = Field(default_factory=ChangesTable)


# -- one folder, one file ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A file's front matter or TOML as a table, and where each key is in the file."""

    table: dict[str, Any]
    lines: dict[toml_lines.KeyPath, int]


def read_macro(path: Path, shown: str) -> Macro:
    """The macro in `path`; MacroFileError of one line (starting with `shown`) else."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise MacroFileError(f"{shown}: larger than {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise MacroFileError(f"{shown}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise MacroFileError(f"{shown}: not UTF-8 text (at byte {exc.start})") from None
    return parse_macro(path.stem, path.suffix, text, shown)


def parse_macro(name: str, suffix: str, text: str, shown: str) -> Macro:
    """The macro a file of this name, suffix (".toml" or ".md") and text holds;
    MacroFileError of one line (starting with `shown`) else."""
    if suffix not in SUFFIXES:
        raise MacroFileError(f"{shown}: a macro is a .toml or .md file")
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise MacroFileError(f"{shown}: larger than {MAX_FILE_BYTES // 1024} KiB")
    parsed = _markdown(text, shown) if suffix == ".md" else _toml(text, shown, 0)
    try:
        found = MacroFile.model_validate(parsed.table)
    except ValidationError as exc:
        raise MacroFileError(_first_problem(exc, parsed, shown)) from None
    try:
        return Macro(
            name=name,
            title=found.title.strip(),
            bodies=dict(found.body),
            changes=MacroChanges(
                status=found.changes.status,
                priority=found.changes.priority,
                tags=tuple(tag.strip() for tag in found.changes.tags),
                assignee=None if found.changes.assignee is None else found.changes.assignee.strip(),
            ),
        )
    except MacroError as exc:
        line = toml_lines.line_of(parsed.lines, tuple(exc.key.split(".")))
        raise MacroFileError(f"{_where(shown, line)}: {exc}") from None


def _toml(text: str, shown: str, first_line: int) -> _Parsed:
    try:
        table = read_toml(text)
    except TomlError as exc:
        raise MacroFileError(f"{shown}: {exc}") from None
    lines = {path: number + first_line for path, number in toml_lines.key_lines(text).items()}
    return _Parsed(table, lines)


def _markdown(text: str, shown: str) -> _Parsed:
    """Front matter between `+++` lines (TOML) or `---` lines (`key: value`); the text
    after it is the English body."""
    rows = text.split("\n")
    fence = rows[0].strip()
    if fence not in ("+++", "---"):
        raise MacroFileError(f"{shown}, line 1: front matter: start the file with +++ or ---")
    end = next((i for i, row in enumerate(rows[1:], 1) if row.strip() == fence), None)
    if end is None:
        raise MacroFileError(f"{shown}: front matter: no closing {fence} line")
    front = "\n".join(rows[1:end])
    parsed = _toml(front, shown, 1) if fence == "+++" else _simple(rows[1:end], shown)
    body = parsed.table.get("body")
    if isinstance(body, str) or (isinstance(body, dict) and "en" in body):
        key = "body" if isinstance(body, str) else "body.en"
        line = toml_lines.line_of(parsed.lines, tuple(key.split(".")))
        raise MacroFileError(f"{_where(shown, line)}: {key}: the Markdown text is the en body")
    bodies = dict(body) if isinstance(body, dict) else {}
    # A body that is not a table is left for the validation to name.
    if body is None or isinstance(body, dict):
        parsed.table["body"] = {"en": "\n".join(rows[end + 1 :]).strip("\n") + "\n", **bodies}
    parsed.lines.setdefault(("body", "en"), end + 2)
    return parsed


def _simple(rows: list[str], shown: str) -> _Parsed:
    """`key: value` lines, as the `---` front matter of many Markdown tools writes them;
    dotted keys (`changes.status`, `body.sv`) name tables, as in TOML, and `tags` is a
    comma-separated list. Values are one line: longer bodies want `+++` (TOML)."""
    table: dict[str, Any] = {}
    lines: dict[toml_lines.KeyPath, int] = {}
    for number, row in enumerate(rows, 2):
        if not row.strip() or row.lstrip().startswith("#"):
            continue
        key, colon, value = row.partition(":")
        path = tuple(part.strip() for part in key.strip().split("."))
        if not colon or not all(path):
            raise MacroFileError(f"{shown}, line {number}: front matter: expected key: value")
        text = _unquoted(value.strip())
        where = table
        for part in path[:-1]:
            inner = where.setdefault(part, {})
            if not isinstance(inner, dict):
                raise MacroFileError(f"{shown}, line {number}: {'.'.join(path)}: not a table")
            where = inner
        if path[-1] in where:
            raise MacroFileError(f"{shown}, line {number}: {'.'.join(path)}: given twice")
        if path[-1] == "tags":
            where["tags"] = [_unquoted(tag.strip()) for tag in text.strip("[]").split(",")]
        else:
            where[path[-1]] = text
        lines[path] = number
        for depth in range(1, len(path)):
            lines.setdefault(path[:depth], number)
    return _Parsed(table, lines)


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


# -- one line per problem ------------------------------------------------------------------

_EXPECTED = {
    "string_type": "a string",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "list_type": "an array",
}


def _first_problem(error: ValidationError, parsed: _Parsed, shown: str) -> str:
    """The problem nearest the top of the file, as one line."""
    problems = []
    for order, details in enumerate(error.errors(include_url=False)):
        path = tuple(details["loc"])
        line = toml_lines.line_of(parsed.lines, path)
        rank = (line if line is not None else 1 << 30, order)
        kind = details["type"]
        if kind == _RULE:
            message = details["msg"]
        elif kind == "extra_forbidden":
            message = _unknown_key(path)
        elif kind == "missing":
            message = "missing (this key is required)"
        elif kind in _EXPECTED:
            message = f"expected {_EXPECTED[kind]}, got {_shown(details['input'])}"
        else:
            message = details["msg"]
        key = ".".join(str(part) for part in path) or "file"
        problems.append((rank, f"{_where(shown, line)}: {key}: {message}"))
    return min(problems)[1]


def _unknown_key(path: tuple[str | int, ...]) -> str:
    tables: dict[tuple[str | int, ...], type[BaseModel]] = {
        (): MacroFile,
        ("changes",): ChangesTable,
    }
    table = tables.get(path[:-1])
    if table is None:
        return "unknown key"
    known = sorted(table.model_fields)
    close = difflib.get_close_matches(str(path[-1]), known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known here: {', '.join(known)})"


def _where(shown: str, line: int | None) -> str:
    return f"{shown}, line {line}" if line is not None else shown


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57]) + "…"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    return "an array" if isinstance(value, list) else type(value).__name__


# -- the folders ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacroCatalogue:
    """The macros an agent has, by name (sorted), with the problems of the bad files."""

    macros: dict[str, Macro] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    """Each macro's file (of the folder that won)."""
    problems: dict[str, str] = field(default_factory=dict)
    """A bad file's name → its one-line problem; that name has no macro."""

    def get(self, name: str) -> Macro:
        """The macro called `name`; MacroFileError (one line) if it is bad or missing."""
        if name in self.problems:
            raise MacroFileError(self.problems[name])
        macro = self.macros.get(name)
        if macro is None:
            known = ", ".join(sorted([*self.macros, *self.problems])) or "none"
            raise MacroFileError(f"no macro called {name[:60]!r} (have: {known})")
        return macro


def user_macros_dir(settings: Settings) -> Path:
    """`macros/` beside the config file in use, else in the user config dir."""
    if settings.config_path is not None:
        return settings.config_path.parent / FOLDER
    return platformdirs.user_config_path(APP_NAME) / FOLDER


def macro_folders(settings: Settings, team: str | None) -> list[tuple[Path, str]]:
    """The folders to read, later ones winning, each with how its files are shown."""
    shared = settings.macros_dir
    if shared is not None and not shared.is_dir():
        raise MacroFileError(f"[macros] dir: {shared} is not a folder")
    roots: list[tuple[Path, str]] = []
    if shared is not None:
        roots.append((shared, str(shared)))
    personal = user_macros_dir(settings)
    if personal.is_dir():
        roots.append((personal, FOLDER))
    if not roots:
        return [(DEFAULTS_DIR, DEFAULTS_DIR.name)]
    folders = []
    for root, shown in roots:
        folders.append((root, shown))
        team_folder = _team_folder(root, team)
        if team_folder is not None:
            folders.append((team_folder, f"{shown}/{team_folder.name}"))
    return folders


def _team_folder(root: Path, team: str | None) -> Path | None:
    # A team's name as the store spells it; the folder may differ in case ("Support").
    if not team or not team.strip():
        return None
    wanted = team.strip().casefold()
    found = [p for p in root.iterdir() if p.is_dir() and p.name.casefold() == wanted]
    return min(found) if found else None


def load_folder(folder: Path, shown: str) -> MacroCatalogue:
    """The macros of one folder (not its subfolders)."""
    catalogue = MacroCatalogue()
    files = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and _is_macro(p))
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.stem, []).append(path)
    for name, paths in by_name.items():
        if len(paths) > 1:
            both = " and ".join(f"{shown}/{p.name}" for p in paths)
            catalogue.problems[name] = f"{both}: two macros called {name!r}; keep one"
            continue
        try:
            catalogue.macros[name] = read_macro(paths[0], f"{shown}/{paths[0].name}")
            catalogue.sources[name] = paths[0]
        except MacroFileError as exc:
            catalogue.problems[name] = str(exc)
    return catalogue


def _is_macro(path: Path) -> bool:
    return not path.name.startswith(".") and path.is_file()


def load_macros(
    settings: Settings, team: str | None, shared: Iterable[SharedMacro] = ()
) -> MacroCatalogue:
    """The macros of an agent of `team` (None: no team): those kept in the store
    (`shared`: everybody's, then the team's), then every folder, later ones overriding a
    macro of the same name in earlier ones, a bad one included."""
    stored = [m for m in shared if not m.team] + [
        m for m in shared if team and m.team.casefold() == team.strip().casefold()
    ]
    folders = macro_folders(settings, team)
    if stored and folders[0][0] == DEFAULTS_DIR:
        folders = []  # the packaged examples stand in only where a team has no macros
    return merged([store_layer(stored), *(load_folder(f, shown) for f, shown in folders)])


def store_layer(shared: Iterable[SharedMacro]) -> MacroCatalogue:
    """The macros kept in the store, later ones (a team's) winning."""
    catalogue = MacroCatalogue()
    for item in shared:
        shown = f"store:{item.team + '/' if item.team else ''}{item.name}.{item.format}"
        catalogue.problems.pop(item.name, None)
        catalogue.macros.pop(item.name, None)
        try:
            catalogue.macros[item.name] = parse_macro(
                item.name, f".{item.format}", item.text, shown
            )
        except MacroFileError as exc:
            catalogue.problems[item.name] = str(exc)
    return catalogue


def merged(layers: Iterable[MacroCatalogue]) -> MacroCatalogue:
    """The layers as one catalogue: a name's last layer decides it, good or bad."""
    result = MacroCatalogue()
    for layer in layers:
        for name in [*layer.macros, *layer.problems]:
            result.macros.pop(name, None)
            result.sources.pop(name, None)
            result.problems.pop(name, None)
        result.macros.update(layer.macros)
        result.sources.update(layer.sources)
        result.problems.update(layer.problems)
    return MacroCatalogue(
        dict(sorted(result.macros.items())),
        dict(sorted(result.sources.items())),
        dict(sorted(result.problems.items())),
    )
