"""The `helpdesk-tui` command and `python -m helpdesk_tui`: its first steps, before
anything heavy is imported."""

from __future__ import annotations

import sys
from typing import NoReturn

from ..launch import collector
from ..settings.private import restrict_umask
from .status_cache import cached_status


def entry() -> NoReturn:
    """The process is ours, so nothing it writes is for other users (customers' data):
    `cli.main.main` alone, as tests and embedding code call it, leaves their process's
    umask as it is. A status line kept from the last call (`status --max-age`) is printed
    without importing the rest; everything else goes to the command line."""
    collector.pause()
    restrict_umask()
    code = cached_status(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .main import main

    sys.exit(main())
