"""`helpdesk-tui` and its subcommands: the app, and everything cron and scripts need.

Every refusal (bad input, unknown key, a rule, a conflict, an unreachable store) is
one line on stderr and exit status 2, with nothing written. Each command group lives
in its own module (`tickets`, `transfer`, `mail`, `sla`, `report`, `admin`, `app`);
each adds its own subcommands (`add_parsers`).
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..launch import collector
from ..settings import i18n
from ..settings.config import ConfigError, Settings, load_settings
from .errors import EXIT_REFUSED, CliError, one_line
from .parser import Parser, agent_arg, path_arg

if TYPE_CHECKING:
    from ..service import HelpdeskService

EXIT_CLOSED_PIPE = 128 + 13
"""What a shell reports for a tool ended by SIGPIPE (`yes | head -1`): a reader that
stopped reading is not an error worth a message."""
EXIT_BUG = 70
"""EX_SOFTWARE: something failed that no input should cause."""


def build_parser() -> argparse.ArgumentParser:
    # The command groups load with the parser, not with this module: a plain launch of
    # the app needs none of them (`_app_launch`), and it starts sooner without them.
    from . import admin, app, handover, macros, mail, report, sla, status, tickets, transfer

    parser = Parser(prog="helpdesk-tui", description="A keyboard-first terminal helpdesk.")
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    # In the order `--help` lists them.
    admin.add_login_parser(sub)
    app.add_parsers(sub)
    tickets.add_parsers(sub)
    macros.add_parsers(sub)
    transfer.add_parsers(sub)
    sla.add_parsers(sub)
    mail.add_parsers(sub)
    status.add_parsers(sub)
    report.add_parsers(sub)
    handover.add_parsers(sub)
    admin.add_parsers(sub)
    return parser


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=path_arg, help="config file (TOML)")
    parser.add_argument(
        "--as", dest="agent", type=agent_arg, help="act as this agent (default: from config)"
    )


class _NotAPlainLaunch(Exception):
    pass


class _LaunchParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotAPlainLaunch(message)


def _app_launch(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The arguments of a plain launch of the app (no command, at most `--config` and
    `--as`), read without the command groups; None for anything else, which the whole
    parser reads (and refuses, where it is wrong)."""
    parser = _LaunchParser(add_help=False)
    _add_global_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except _NotAPlainLaunch:
        return None
    if rest:
        return None
    args.command = None
    return args


def _refusals() -> tuple[type[Exception], ...]:
    """What ends a command with one line and exit status 2. Imported when something is
    raised, not with this module: by then the module that raised it is loaded."""
    from ..domain.access import AccessDenied
    from ..domain.escalation import EscalationError
    from ..domain.lifecycle import TransitionError
    from ..domain.sla import PolicyError
    from ..service import ServiceError
    from ..service.transfer import ImportFormatError
    from ..service.views import FilterError
    from ..store.base import StoreError

    return (
        CliError,
        ConfigError,
        PolicyError,
        ServiceError,
        StoreError,
        AccessDenied,
        TransitionError,
        EscalationError,
        FilterError,
        ImportFormatError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        # Output still buffered meets a closed pipe here, inside this handler, instead of
        # at the interpreter's exit (which prints "Exception ignored" and exits 120).
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno not in _FULL:
            return _internal_error(exc)
        # A file opened by name says which; a write without one is stdout's, as in
        # `ticket list > /dev/full`, on a full disk or past a quota.
        where = "the output" if exc.filename is None else str(exc.filename)
        if exc.filename is None:
            _stdout_to_devnull()  # what is left in its buffer would fail again at exit
        print(f"helpdesk-tui: cannot write {one_line(where)}: {exc.strerror}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:
        return _internal_error(exc)


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
"""The disk (or the quota, or the largest file) is full: the place written to is the
trouble, not this program."""


def _internal_error(exc: Exception) -> int:
    # Last resort: whatever input reached here, the user gets one line, not a
    # traceback (HELPDESK_DEBUG=1 shows it, for the bug report).
    if os.environ.get("HELPDESK_DEBUG"):
        raise exc
    name = type(exc).__name__
    print(
        f"helpdesk-tui: internal error ({name}): {one_line(str(exc))} "
        "(a bug; HELPDESK_DEBUG=1 shows where)",
        file=sys.stderr,
    )
    return EXIT_BUG


def _stdout_to_devnull() -> None:
    # The interpreter flushes stdout once more at exit; pointed at /dev/null, that
    # flush succeeds instead of printing "Exception ignored ... BrokenPipeError".
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file descriptor (captured by a test): nothing will flush it


def _main(argv: Sequence[str] | None) -> int:
    args = _app_launch(argv) or build_parser().parse_args(argv)
    try:
        _refuse_undecodable(args)
        settings = load_settings(args.config)
        # Before any ui module is imported: their bindings are translated at class creation.
        i18n.install(settings.language)
        if args.agent:
            from dataclasses import replace

            settings = replace(settings, agent=args.agent, agent_source="flag")
        if args.command is None:
            from . import app

            return app.run_app(settings)  # the app resumes the collector once it is up
        collector.resume(freeze=False)
        return _command(args, settings, argv)
    except _refusals() as exc:
        print(f"helpdesk-tui: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_REFUSED


def _refuse_undecodable(args: argparse.Namespace) -> None:
    """Bytes in an argument that are not UTF-8 reach Python as lone surrogates
    (surrogateescape); no store, file or terminal can take them, so the command stops
    here, before anything is written, naming the argument they are in."""
    for dest, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str | Path):
                continue
            text = str(item)
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                char = ord(text[exc.start])
                byte = f" (byte 0x{char - 0xDC00:02x})" if 0xDC80 <= char <= 0xDCFF else ""
                raise CliError(
                    f"argument {_argument_name(args, dest)}: not UTF-8 text{byte}; "
                    "give it as UTF-8 (check the terminal's or the script's encoding)"
                ) from None


def _argument_name(args: argparse.Namespace, dest: str) -> str:
    """How the user wrote the argument stored as `dest`: its option (--subject, --as) or,
    for a positional, its name as --help shows it. Looked up along the subcommands given
    only: another subcommand may use the same name for another argument."""
    parser: argparse.ArgumentParser | None = build_parser()
    while parser is not None:
        chosen = None
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(getattr(args, action.dest, None) or "")
            elif action.dest == dest:
                shown = action.metavar if isinstance(action.metavar, str) else dest
                return max(action.option_strings, key=len, default=shown)
        parser = chosen
    return dest


def _command(args: argparse.Namespace, settings: Settings, argv: Sequence[str] | None) -> int:
    from ..launch import bootstrap
    from . import admin, app, mail, status

    if args.command == "login":
        return admin.login(args, settings)
    if args.command == "serve":
        return app.serve(args, settings)
    if args.command == "mail" and args.action == "login":
        return mail.login(args, settings)
    if args.command == "status":  # opens the store itself, its wait bounded
        return status.run(args, settings, list(sys.argv[1:] if argv is None else argv))
    service = bootstrap.build_service(settings)
    try:
        return _dispatch(args, service, settings)
    finally:
        service.close()


def _dispatch(args: argparse.Namespace, service: HelpdeskService, settings: Settings) -> int:
    from . import admin, app, handover, macros, mail, report, sla, tickets, transfer

    command = args.command
    if command == "demo":
        return app.demo(args, service)
    if command == "ticket":
        args.drafts = settings.state_dir / "drafts"  # where --edit keeps the text
        args.settings = settings  # where --macro finds the macro files
        return tickets.run(args, service)
    if command == "macro":
        return macros.run(args, service, settings)
    if command == "import":
        return transfer.run_import(args, service)
    if command == "export":
        return transfer.run_export(args, service)
    if command == "sla":
        return sla.sweep(args, service, settings)
    if command == "mail":
        return mail.run(args, service, settings)
    if command == "purge":
        return sla.purge(args, service, settings)
    if command == "report":
        return report.run(args, service)
    if command == "handover":
        return handover.run(args, service)
    if command == "agent":
        return admin.agent(args, service)
    if command == "team":
        return admin.team(args, service)
    raise CliError(f"unknown command {command}")
