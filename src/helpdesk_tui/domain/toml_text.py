"""Reading a TOML file's text: its two ways to fail as one error of one line."""

from __future__ import annotations

import tomllib
from typing import Any


class TomlError(ValueError):
    """The text is not TOML this reads; the message is one line, "not valid TOML: ..."."""


def read_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(f"not valid TOML: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise TomlError("not valid TOML: nested too deeply") from None
