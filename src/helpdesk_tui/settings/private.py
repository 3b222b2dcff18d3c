"""Nothing helpdesk-tui writes is readable by other users, whatever the umask; and which
names hold secrets (kept out of config files, URLs and messages).

Tickets, their conversations, files and drafts are customers' data. Two layers:
`restrict_umask` at the entry point (cli/main.py), so that everything the process
creates, SQLite's journal and lock files included, is its owner's alone; and
`private_dir` / `private_file` where the store, its files and drafts are made, which
also tighten what an earlier version (or another umask) left readable.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

SECRET_HINTS = ("password", "token", "secret")
"""A setting or URL parameter with one of these in its name holds a secret."""

DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_umask() -> None:
    """From now on this process creates files and folders for their owner only."""
    os.umask(os.umask(0o077) | 0o077)


def private_dir(path: Path, *, tighten_existing: bool = True) -> Path:
    """`path` as a folder only its owner can enter; missing parents are made the same
    way (those that existed are left as they are: the home folder is not ours to set).
    `tighten_existing=False`: an existing `path` is left as it is too (the folder a
    database file was put in: /srv, a home folder, /tmp)."""
    existed = path.exists()
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(mode=DIR_MODE, exist_ok=True)
        _tighten(made, DIR_MODE, stat.S_ISDIR)
    if tighten_existing or not existed:
        _tighten(path, DIR_MODE, stat.S_ISDIR)
    return path


def private_file(path: Path, *, create: bool = False) -> None:
    """Tighten an existing file of ours to owner-only; a missing one is left missing,
    or with `create`, made empty and owner-only (SQLite then opens it as a new database,
    and makes its journal with the same mode)."""
    if create:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    _tighten(path, FILE_MODE, stat.S_ISREG)


def _tighten(path: Path, mode: int, kind: Callable[[int], bool]) -> None:
    try:
        status = path.stat()
        if not kind(status.st_mode):
            # A file named where a folder was meant (a data folder set to /etc/passwd),
            # a device or a folder: not what we made, never ours to change. Opening it
            # as the store then fails and says so.
            return
        if status.st_mode & stat.S_ISVTX:
            return  # a folder shared by design (/tmp): never ours to close, even as root
        if status.st_uid == os.getuid() and stat.S_IMODE(status.st_mode) & 0o077:
            os.chmod(path, mode)
    except FileNotFoundError:
        return
    except OSError:
        return  # not ours to change (a shared, read-only mount): the store says what fails


def is_secret_name(name: str) -> bool:
    """Whether a setting or a URL query parameter called `name` holds a secret
    (`password`, `sslpassword`, `api_token`, `client_secret`, ...)."""
    return any(hint in name.lower() for hint in SECRET_HINTS)
