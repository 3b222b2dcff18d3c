"""The command line's shared grammar: the parser class that refuses in one line, and the
argument types the command groups use. Each group module adds its own subcommands
(`add_parsers`); `main.build_parser` puts them together in the order `--help` lists them.
"""

from __future__ import annotations

import argparse
import errno
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from ..domain.model import canonical_key
from ..domain.periods import Span, parse_instant
from ..domain.worktime import parse_minutes
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


def is_whole_number(text: str) -> bool:
    """Digits 0-9 only: str.isdigit() alone also takes "²" and "٣", which int() refuses."""
    return text.isascii() and text.isdigit()


def count_arg(text: str) -> int:
    """A count from 1 to 10,000."""
    if not is_whole_number(text) or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to 10000, got {text[:40]!r}"
        )
    return int(text)


def path_arg(text: str) -> Path:
    """A file's path. One the system cannot even look up (a name longer than the file
    system allows) is refused here, naming the option; any other trouble with it (missing,
    unreadable) is for the command that opens it to say."""
    path = Path(text)
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            shown = repr(text[:60]) + ("…" if len(text) > 60 else "")
            raise argparse.ArgumentTypeError(f"file name too long: {shown}") from None
    return path


def agent_arg(text: str) -> str:
    """An agent's username, as `--as` names one. Empty is refused, not read as "not
    given": the command would otherwise run as $HELPDESK_AGENT or the config's agent,
    someone the user did not name."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give an agent's username, not an empty one")
    return text


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


def filled_arg(text: str) -> str:
    """A tag or a contact to add: an empty one was dropped, and "updated" said for nothing."""
    if not text.strip():
        raise argparse.ArgumentTypeError("cannot be empty")
    return text


def key_arg(text: str) -> str:
    """A ticket key in any spelling a person types (hd-7, HD 7), as stored: HD-7."""
    try:
        return canonical_key(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def minutes_arg(text: str) -> int:
    """Time spent as a person types it (15m, 1h30m, 90, 1.5h), in whole minutes."""
    try:
        return parse_minutes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class IntermixedParser(Parser):
    """A subcommand whose positionals may follow its options, as in
    `ticket reply HD-7 --macro need-logs "text"`: argparse alone matches an optional
    positional (`[BODY]`) as empty at the first positional it sees, and then refuses the
    text after the options as unrecognized. Only for parsers without subcommands."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing:  # parse_known_intermixed_args calls back in here, twice
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def add_intermixed(
    sub: argparse._SubParsersAction[Parser], name: str, **kwargs: Any
) -> IntermixedParser:
    """`sub.add_parser(name, ...)`, made an IntermixedParser."""
    chosen = sub._parser_class
    sub._parser_class = IntermixedParser
    try:
        parser = sub.add_parser(name, **kwargs)
    finally:
        sub._parser_class = chosen
    assert isinstance(parser, IntermixedParser)
    return parser
