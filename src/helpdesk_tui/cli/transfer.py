"""`import` and `export`: tickets from and to CSV, JSON or JSON Lines."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import stat
import sys
from pathlib import Path
from typing import IO

from ..domain.text import safe_line, safe_text
from ..service import HelpdeskService, transfer
from ..service.views import parse_filter
from ..store.base import Query, SortKey
from .errors import CliError
from .parser import Parser, path_arg


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    imp = sub.add_parser("import", help="import tickets from CSV, JSON or JSON Lines")
    imp.add_argument(
        "file", type=path_arg, help="a path, or - for stdin (JSON Lines unless --format)"
    )
    imp.add_argument(
        "--format", choices=transfer.FORMATS, help="the file's format (default: from its name)"
    )
    imp.add_argument(
        "--update",
        action="store_true",
        help="a ticket whose key the store has takes the file's fields and new comments",
    )

    exp = sub.add_parser("export", help="export tickets to CSV, JSON or JSON Lines")
    exp.add_argument("file", type=path_arg, help="a path, or - for stdout")
    exp.add_argument(
        "--format", choices=transfer.FORMATS, help="the file's format (default: from its name)"
    )
    exp.add_argument("--filter", default="", help="only these tickets, e.g. 'status:closed tier:2'")


def run_import(args: argparse.Namespace, service: HelpdeskService) -> int:
    fmt = transfer.guess_format(args.file, args.format)
    count = transfer.import_file(service, args.file, fmt, update=args.update)
    print(f"imported {count} tickets from {safe_line(transfer.source_name(args.file))}")
    return 0


def run_export(args: argparse.Namespace, service: HelpdeskService) -> int:
    fmt = args.format or ("jsonl" if str(args.file) == "-" else None)
    fmt = transfer.guess_format(args.file, fmt)
    query = None
    if args.filter:
        query = parse_filter(
            args.filter, service.me.username, service.clock(), base=Query(sort=SortKey.KEY)
        )
    if str(args.file) == "-":
        # To a terminal, what customers wrote must not drive it (an escape sequence in a
        # subject): shown inert. A pipe or a file gets the exact text.
        out: transfer.TextSink = _TerminalSafe(sys.stdout) if sys.stdout.isatty() else sys.stdout
        count = transfer.export(service, out, fmt, query)
        sys.stdout.flush()  # a closed pipe is found here, inside main's handler
    else:
        count = _export_to_file(service, args.file, fmt, query)
    if fmt != "jsonl":
        print(transfer.FLAT_NOTE.format(fmt=fmt.upper()), file=sys.stderr)
    print(f"exported {count} tickets", file=sys.stderr)
    return 0


def _export_to_file(service: HelpdeskService, path: Path, fmt: str, query: Query | None) -> int:
    """Write beside the file (a symlink's target), then rename over it: an export that
    fails (disk full, a refusal) leaves the file that was there, never half of a new one."""
    target = _export_target(path)
    # The process id keeps two exports apart; a name near the system's limit gives way
    # to a short one, so the temporary file can always be named.
    stem = target.name if len(os.fsencode(target.name)) <= 200 else "export"
    temp = target.with_name(f".{stem}.{os.getpid()}.part")
    try:
        with temp.open("x", encoding="utf-8", newline="") as out:
            count = transfer.export(service, out, fmt, query)
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return count


_NOT_A_FILE = (
    (stat.S_ISDIR, "it is a folder"),
    (stat.S_ISCHR, "it is a device"),
    (stat.S_ISBLK, "it is a device"),
    (stat.S_ISFIFO, "it is a named pipe"),
    (stat.S_ISSOCK, "it is a socket"),
)


def _export_target(path: Path) -> Path:
    """The regular file an export to `path` replaces, or is to create. A symlink is
    followed, so the link stays and its target gets the export; anything else there (a
    folder, a device such as /dev/null, a named pipe, a socket) is refused: renaming a
    file over it would put a regular file in its place."""
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target  # a new file (a missing folder is for the write to report)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CliError(f"cannot write {path}: a loop of symbolic links") from None
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        what = next((what for test, what in _NOT_A_FILE if test(mode)), "it is something else")
        raise CliError(f"cannot write {path}: {what}, not a regular file")
    return target


class _TerminalSafe:
    """A text stream that writes to `out` with escape sequences and control characters
    made visible (domain/text.py); each write is whole records, so no sequence is split."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def write(self, text: str) -> int:
        self._out.write(safe_text(text))
        return len(text)
