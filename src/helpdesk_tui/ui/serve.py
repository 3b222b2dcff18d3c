"""`helpdesk-tui serve`: the same app in a web browser, through textual-serve.

Each browser tab that connects gets its own app process, started with the command line
this module builds (the same config and agent as `serve` itself), speaking Textual's
web driver protocol over a WebSocket. Nothing is sent anywhere but the browser that
asked: the page, its script and its fonts come from the local server.

textual-serve has no login of its own: whoever can reach the port acts as the agent
who started it. So it listens on loopback unless told otherwise, explicitly.
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
from pathlib import Path

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


class ServeError(ValueError):
    """A refusal to serve, said in one line."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_command(config: Path | None, agent: str | None) -> str:
    """The shell command each browser session runs: this interpreter, this package."""
    argv = [sys.executable, "-m", "helpdesk_tui"]
    if config is not None:
        argv += ["--config", str(config.expanduser().resolve())]
    if agent:
        argv += ["--as", agent]
    return shlex.join(argv)


def serve(host: str, port: int, config: Path | None, agent: str | None, allow_remote: bool) -> int:
    """Serve until interrupted; refuses a non-loopback address without `allow_remote`."""
    if not is_loopback(host) and not allow_remote:
        raise ServeError(
            f"{host} is not a loopback address: anyone who reaches it would act as you "
            "(add --allow-remote to mean it, behind a proxy that asks for a login)"
        )
    if not 0 < port < 65536:
        raise ServeError(f"port must be 1-65535, not {port}")
    # Imported here: the terminal app must not pay for aiohttp at every launch.
    from textual_serve.server import Server

    server = Server(app_command(config, agent), host=host, port=port, title="helpdesk-tui")
    server.serve()
    return 0
