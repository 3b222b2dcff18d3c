"""`macro list` and `macro show`; the macro half of `ticket reply --macro`.

The macros are the agent's: their team (as the store has it) picks the team folder,
so every command here has the service, and so the store, open (settings/macros.py).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..domain.macros import LANGUAGES, Macro, MacroChanges
from ..domain.model import Ticket
from ..domain.text import safe_line, safe_text
from ..service import HelpdeskService
from ..settings.config import Settings
from .errors import EXIT_REFUSED, CliError, one_line
from .parser import Parser, key_arg, path_arg

if TYPE_CHECKING:
    from ..settings.macros import MacroCatalogue


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    macro = sub.add_parser("macro", help="canned replies: list them, show one")
    msub = macro.add_subparsers(dest="action", required=True, parser_class=Parser)
    msub.add_parser("list", help="every macro: name, title, languages, changes")
    show = msub.add_parser("show", help="one macro, or its body filled in for a ticket")
    show.add_argument("name", help="the macro's name, as macro list shows it")
    show.add_argument("--ticket", type=key_arg, metavar="KEY", help="fill it in for this ticket")
    show.add_argument(
        "--language", choices=LANGUAGES, help="this language's body (default: the ticket's)"
    )
    push = msub.add_parser("push", help="keep a macro file in the store, for the whole team")
    push.add_argument("file", type=path_arg, help="a .toml or .md macro file")
    push.add_argument("--team", default="", help="only for this team (default: everybody)")
    remove = msub.add_parser("remove", help="remove a macro kept in the store")
    remove.add_argument("name", help="the macro's name, as macro list shows it")
    remove.add_argument("--team", default="", help="the team it was kept for")


def catalogue(service: HelpdeskService, settings: Settings) -> MacroCatalogue:
    """The macros of the agent acting: the store's, then the folders'."""
    # Here, not at the top: reading macro files needs pydantic, which every other
    # command (and the app's launch, through this module) does without.
    from ..settings.macros import load_macros

    return load_macros(settings, service.me.team, service.shared_macros())


def run(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    if args.action == "push":
        kept = service.share_macro(args.file, args.team)
        scope = f"team {safe_line(kept.team)}" if kept.team else "everybody"
        print(f"macro {safe_line(kept.name)} kept in the store for {scope}")
        return 0
    if args.action == "remove":
        service.unshare_macro(args.name, args.team)
        print(f"macro {safe_line(args.name)} removed from the store")
        return 0
    found = catalogue(service, settings)
    if args.action == "list":
        return _list(found)
    macro = found.get(args.name)
    if args.ticket is not None:
        ticket = service.get(args.ticket)
        print(safe_text(service.render_macro(macro, ticket, args.language)), end="")
        return 0
    print(f"name:      {safe_line(macro.name)}")
    print(f"title:     {safe_line(macro.title)}")
    print(f"languages: {' '.join(macro.languages)}")
    print(f"changes:   {macro.changes.summary() or '-'}")
    source = found.sources.get(macro.name)
    print(f"file:      {safe_line(str(source)) if source else 'kept in the store'}")
    print()
    print(safe_text(macro.body_for(args.language or "en")), end="")
    return 0


def _list(found: MacroCatalogue) -> int:
    if not found.macros and not found.problems:
        print("no macros")
    names = max((len(name) for name in found.macros), default=0)
    for macro in found.macros.values():
        languages = ",".join(macro.languages)
        changes = macro.changes.summary() or "-"
        print(
            f"{safe_line(macro.name):<{names}}  {safe_line(macro.title)}  [{languages}]  {changes}"
        )
    # A bad file is left out of the list and named on stderr, one line each: the list
    # is still of use, and a script sees the exit status.
    for problem in found.problems.values():
        print(f"helpdesk-tui: {one_line(problem)}", file=sys.stderr)
    return EXIT_REFUSED if found.problems else 0


def reply_parts(
    service: HelpdeskService, settings: Settings, ticket: Ticket, name: str, extra: str | None
) -> tuple[str, MacroChanges]:
    """`ticket reply --macro NAME [BODY]`: the macro's body for `ticket`, with BODY
    after it, and its changes; one line (CliError/MacroFileError) on bad input."""
    macro: Macro = catalogue(service, settings).get(name)
    body = service.render_macro(macro, ticket).rstrip("\n")
    if extra is not None:
        if not extra.strip():
            raise CliError("the text after the macro is empty: leave it out, or write some")
        body += "\n\n" + extra.strip("\n")
    return body, macro.changes
