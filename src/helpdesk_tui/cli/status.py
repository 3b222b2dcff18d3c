"""`status`: one line of what needs me now, for a tmux status line or a shell prompt.

    P1:2 breached:1 at-risk:3 @:3          (plain, the default)
    #[fg=red,bold]P1:2#[default] ...      (tmux: its own colour markup, short glyphs)
    {"agent": "ivan", "as_of": ..., ...}  (json)

The exit status says it without parsing: 0 nothing needs me, 1 a breach of mine or a
P1 nobody has acknowledged, 3 only tickets at risk or mentions, 2 refused (bad input,
unknown agent, a store that cannot be reached). A status line polls this every few
seconds, so the store is never made here, a PostgreSQL server gets STATUS_CONNECT_SECONDS
to answer a connect (RT: STATUS_RT_SECONDS a request), and any failure still prints a
short line the bar can show (`hd:offline`) before the one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from ..launch import bootstrap
from ..service.standing import Standing
from ..settings.config import Settings
from ..store.base import StoreUnavailable
from . import status_cache
from .errors import EXIT_REFUSED
from .parser import Parser, is_whole_number

FORMATS = ("plain", "tmux", "json")
EXIT_QUIET = 0
EXIT_URGENT = 1
EXIT_ATTENTION = 3
STATUS_CONNECT_SECONDS = 2
"""How long a status line waits for a PostgreSQL server to answer a connect (the app: 10 s)."""
STATUS_RT_SECONDS = 5.0
"""How long it waits for each of RT's answers: a search takes RT about half a second of its
own CPU (bench_rt.py), so a loaded RT is slow rather than gone (the app: 15 s)."""

_TMUX_PARTS = (
    # (field, glyph, tmux style): most urgent first, as the eye reads the bar.
    ("new_p1", "P1:", "fg=red,bold"),
    ("breached", "✖", "fg=red"),
    ("at_risk", "⚠", "fg=yellow"),
    ("mentions", "✉", "fg=cyan"),
)
_PLAIN_NAMES = (("new_p1", "P1"), ("breached", "breached"), ("at_risk", "at-risk"))


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    status = sub.add_parser(
        "status",
        help="one line of what needs me now (tmux status line, shell prompt)",
        description="Exit status: 0 nothing needs you, 1 a breach of yours or an "
        "unacknowledged P1, 3 only at-risk tickets or mentions, 2 refused or unreachable.",
    )
    status.add_argument(
        "--format",
        choices=FORMATS,
        default="plain",
        help="plain text, tmux's colour codes, or JSON (default: plain)",
    )
    status.add_argument(
        "--max-age",
        type=_seconds,
        metavar="SECONDS",
        help="print the answer kept from the last call if it is at most this old "
        "(1-3600), refreshing it in the background when older (for tmux)",
    )
    status.add_argument(status_cache.REFRESHING, action="store_true", help=argparse.SUPPRESS)


def _seconds(text: str) -> int:
    low, high = status_cache.MAX_AGE_RANGE
    if not is_whole_number(text) or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"expected {low}-{high} seconds, got {text!r}")
    return int(text)


def run(args: argparse.Namespace, settings: Settings, argv: list[str]) -> int:
    """Print the line and return the exit status; on a failure, the bar's short line,
    then the error goes on to main's one line on stderr (exit 2). With --max-age the
    line is kept for the calls that follow (status_cache.py)."""
    try:
        service = bootstrap.build_service(_bounded(settings))
        try:
            standing = service.standing()
        finally:
            service.close()
    except Exception as exc:
        line = _failed(args.format, "offline" if isinstance(exc, StoreUnavailable) else "error")
        _answer(argv, line, EXIT_REFUSED)
        raise
    code = exit_status(standing)
    _answer(argv, render(standing, args.format), code)
    return code


def _answer(argv: list[str], line: str, code: int) -> None:
    status_cache.keep(argv, line, code)
    status_cache.refreshed(argv)
    if status_cache.REFRESHING not in argv:
        print(line)


def exit_status(standing: Standing) -> int:
    if standing.urgent:
        return EXIT_URGENT
    return EXIT_QUIET if standing.quiet else EXIT_ATTENTION


def render(standing: Standing, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "agent": standing.agent,
                "as_of": standing.as_of.isoformat(),
                "new_p1": standing.new_p1,
                "breached": standing.breached,
                "at_risk": standing.at_risk,
                "mentions": standing.mentions,
                "capped": sorted(standing.capped),
                "exit": exit_status(standing),
            }
        )
    if fmt == "tmux":
        parts = [
            f"#[{style}]{glyph}{_count(standing, name)}#[default]"
            for name, glyph, style in _TMUX_PARTS
            if getattr(standing, name)
        ]
        return " ".join(parts) or "#[fg=green]✓#[default]"
    plain = [f"{label}:{_count(standing, name)}" for name, label in _PLAIN_NAMES]
    plain.append("@:-" if standing.mentions is None else f"@:{_count(standing, 'mentions')}")
    return " ".join(plain)


def _count(standing: Standing, name: str) -> str:
    more = "+" if name in standing.capped else ""
    return f"{getattr(standing, name)}{more}"


def _failed(fmt: str, what: str) -> str:
    if fmt == "json":
        return json.dumps({"error": what})
    if fmt == "tmux":
        return f"#[fg=yellow]hd:{what}#[default]"
    return f"hd:{what}"


def _bounded(settings: Settings) -> Settings:
    """The settings with the store's wait bounded, and no store made where none is."""
    if settings.backend_kind == "rt":
        rt = replace(settings.rt, timeout=min(settings.rt.timeout, STATUS_RT_SECONDS))
        return replace(settings, rt=rt)
    url = settings.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///").partition("?")[0])
        if path.name not in ("", ":memory:") and not path.exists():
            raise StoreUnavailable(f"no store at {path} yet: start helpdesk-tui once")
        return settings
    if url.startswith("postgresql") and "connect_timeout=" not in url:
        joiner = "&" if "?" in url else "?"
        return replace(
            settings, backend_url=f"{url}{joiner}connect_timeout={STATUS_CONNECT_SECONDS}"
        )
    return settings
