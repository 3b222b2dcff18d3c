"""The SLA policies that ship with helpdesk-tui, as TOML files beside this module.

Reading the packaged file is the only I/O here; parsing is `domain.sla.parse_policy`,
and `parse_text` adds the line of the key at fault to its error.
"""

from __future__ import annotations

import re
from importlib import resources

from ...domain.sla import Policy, PolicyError, parse_policy
from .. import toml_lines

__all__ = ["builtin_names", "is_policy_path", "load_builtin", "parse_text", "read_builtin"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def is_policy_path(name_or_path: str) -> bool:
    """Whether the config names a policy by its file ("~/care365.toml", "./sla/x.toml")
    rather than a bundled policy by name ("default")."""
    return name_or_path.endswith(".toml") or "/" in name_or_path


def builtin_names() -> tuple[str, ...]:
    """The names of the packaged policies, sorted ("default", "nexly", ...)."""
    files = resources.files(__name__).iterdir()
    return tuple(sorted(f.name[: -len(".toml")] for f in files if f.name.endswith(".toml")))


def read_builtin(name: str = "default") -> str:
    """The TOML text of a packaged policy (to show it, or to copy it as a starting point)."""
    # A name, never a path: nothing outside this package can be read through it.
    if not _NAME.match(name) or name not in builtin_names():
        raise PolicyError(f"no built-in policy {name!r} (choose from {', '.join(builtin_names())})")
    return resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")


def load_builtin(name: str = "default") -> Policy:
    """Parse a packaged policy. Each call builds a fresh Policy (its calendars' caches too)."""
    return parse_text(read_builtin(name))


def parse_text(text: str) -> Policy:
    """`parse_policy`, its one-line error led by the line of the key it names
    ("line 12: priorities.high.when_worked: ..."), where the text has that key."""
    try:
        return parse_policy(text)
    except PolicyError as exc:
        path = exc.key_path
        line = toml_lines.line_of(toml_lines.key_lines(text), path) if path else None
        if line is None:
            raise
        raise PolicyError(f"line {line}: {exc}") from None
