"""`status --max-age N`: the status line's last answer, read back without opening the store.

tmux runs the status command every `status-interval`, on a server that may be shared;
opening the store means importing SQLAlchemy, a few hundred milliseconds of CPU each
time. With `--max-age N` the answer is kept in the cache folder: a call within N
seconds of it prints it again, and a later call prints it too (the bar shows a line at
most one refresh old) while a background `status` refreshes it. Only the first call
(or one after the line is 10 N old) waits for the store.

Nothing here imports more than the standard library: this runs before the command line
itself is imported (cli/entry.py), and a status line is what it costs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CACHE_DIR_ENV = "HELPDESK_TUI_CACHE_DIR"
"""settings/config.py's own variable for the cache folder, named again: importing that
module costs more than the answer."""
MAX_AGE_RANGE = (1, 3600)
STALE_FACTOR = 10
"""A line older than this many max-ages is not shown while it is refreshed: the store
may have been gone for long, or the machine asleep."""
REFRESHING = "--refresh-status-cache"
"""The background refresh's own flag: write the cache, print nothing."""


def cache_dir() -> Path:
    """Where status lines are kept (the folder of the validated config files too)."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "helpdesk-tui"


def max_age(argv: list[str]) -> int | None:
    """`--max-age N` among `argv` when N is a whole number in range; None otherwise (the
    full command line then reads it, and refuses a bad one in its one line)."""
    for index, word in enumerate(argv):
        value = None
        if word == "--max-age" and index + 1 < len(argv):
            value = argv[index + 1]
        elif word.startswith("--max-age="):
            value = word.partition("=")[2]
        if value is not None:
            low, high = MAX_AGE_RANGE
            # isdigit() alone takes "²", which int() refuses: ASCII digits only.
            whole = value.isascii() and value.isdigit()
            return int(value) if whole and low <= int(value) <= high else None
    return None


def cache_file(argv: list[str]) -> Path:
    """The file of this exact question: the words asked (but the age), the environment
    that decides the agent and the store, and the folder a config may be found in."""
    words = [w for w in argv if w != REFRESHING]
    asked = {
        "argv": words,
        "env": sorted((k, v) for k, v in os.environ.items() if k.startswith("HELPDESK")),
        "cwd": os.getcwd(),
        "uid": os.getuid(),
    }
    digest = hashlib.sha256(json.dumps(asked).encode()).hexdigest()[:32]
    return cache_dir() / "status" / f"{digest}.json"


def cached_status(argv: list[str]) -> int | None:
    """Print the cached line and return its exit status; None when the store must be
    asked (not a `status --max-age` call, no line kept, or one too old)."""
    if argv[:1] != ["status"] or REFRESHING in argv:
        return None
    age = max_age(argv)
    if age is None:
        return None
    path = cache_file(argv)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        line, code, at = str(kept["line"]), int(kept["exit"]), float(kept["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    old = time.time() - at
    if old > age * STALE_FACTOR or old < 0:
        return None
    if old > age:
        _refresh(argv, path)
    print(line)
    return code


def keep(argv: list[str], line: str, code: int) -> None:
    """Keep the answer the store gave, for the calls within `--max-age`."""
    if max_age(argv) is None:
        return
    path = cache_file(argv)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"line": line, "exit": code, "at": time.time()}))
        temporary.replace(path)  # whole or not at all: a reader never sees half a line
    except OSError:
        pass  # a cache that cannot be written costs speed, not the answer


def _refresh(argv: list[str], path: Path) -> None:
    """Start one background `status` that writes a new line; none while one runs."""
    lock = path.with_suffix(".refreshing")
    try:
        if time.time() - lock.stat().st_mtime < 60:
            return
    except OSError:
        pass
    try:
        lock.touch()
        subprocess.Popen(
            [sys.executable, "-m", "helpdesk_tui", *argv, REFRESHING],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        pass


def refreshed(argv: list[str]) -> None:
    """The background refresh is over (whatever its answer): another may start."""
    if REFRESHING in argv:
        with_age = [w for w in argv if w != REFRESHING]
        cache_file(with_age).with_suffix(".refreshing").unlink(missing_ok=True)
