"""The command line's shared grammar: the parser class that refuses in one line, and the
argument types the command groups use. Each group module adds its own subcommands
(`add_parsers`); `main.build_parser` puts them together in the order `--help` lists them.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, NoReturn

from ..domain.model import canonical_key
from ..domain.periods import Span, parse_instant
from .errors import EXIT_REFUSED, one_line


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage dump: scripts log it, people read it.
        self.exit(EXIT_REFUSED, f"{self.prog}: {one_line(message)} (see --help)\n")


def enum_arg(kind: Any) -> Any:
    def parse(text: str) -> Any:
        try:
            return kind.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = kind.__name__.lower()
    return parse


def tier_arg(text: str) -> int:
    if text not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"tier must be 1, 2 or 3, not {text!r}")
    return int(text)


def count_arg(text: str) -> int:
    """A count from 1 to 10,000."""
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to 10000, got {text[:40]!r}"
        )
    return int(text)


def span_arg(text: str) -> Span:
    """`90d`, `12w`, `24m` (calendar months), `2y`."""
    try:
        return Span.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def instant_arg(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def key_arg(text: str) -> str:
    """A ticket key in any spelling a person types (hd-7, HD 7), as stored: HD-7."""
    try:
        return canonical_key(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
