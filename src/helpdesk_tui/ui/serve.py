"""`helpdesk-tui serve`: the same app in a web browser, through textual-serve.

Each browser tab that connects gets its own app process, started with the command line
this module builds (the same config and agent as `serve` itself), speaking Textual's
web driver protocol over a WebSocket. Nothing is sent anywhere but the browser that
asked: the page, its script and its fonts come from the local server.

textual-serve has no login of its own: whoever can reach the port acts as the agent
who started it. So it listens on loopback unless told otherwise, explicitly.

Listening on loopback is not enough on its own: any web page the agent opens can make
their browser talk to 127.0.0.1, either by opening a WebSocket to it (browsers let a
page do that cross-site, with the page's own `Origin`) or through DNS rebinding (a name
the attacker controls that resolves to 127.0.0.1, so the browser sends `Host:
evil.example`). So every request, the WebSocket upgrade included, must name this server
in `Host`, and in `Origin` when it has one; anything else gets a plain 403 before
textual-serve sees it, and no app process is started for it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web
    from aiohttp.typedefs import Handler, Middleware
    from textual_serve.app_service import AppService

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
# The names a browser on this machine may use for a loopback server, whichever of them
# the server was told to listen on: the page is reachable as any of them.
LOOPBACK_ALIASES = frozenset({"127.0.0.1", "localhost", "::1"})
# Binding to these listens on loopback too, so the loopback names reach it as well.
WILDCARDS = frozenset({"0.0.0.0", "::"})

# A resize beyond this is not a screen: clamped, so a page cannot make the app draw a
# terminal of millions of cells.
MAX_CELLS_ACROSS = 1000

log = logging.getLogger("helpdesk_tui.serve")

# host[:port], where host is a DNS name / IPv4 literal or a bracketed IPv6 literal.
# Anything else (userinfo, a path, spaces, a second colon outside brackets) is refused
# rather than guessed at: a lenient parser is how "evil@127.0.0.1" gets in.
_AUTHORITY = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?))"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


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


def _normal_host(host: str) -> str:
    """One spelling per host: names lowercased, IPv6 literals compressed, no brackets."""
    bare = host.strip("[]")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return bare.lower()
    return str(address) if address.version == 6 else bare


def parse_authority(text: str) -> tuple[str, int] | None:
    """`host[:port]` as (normal host, port), port 80 when absent; None if malformed."""
    match = _AUTHORITY.fullmatch(text)
    if match is None:
        return None
    if match["v6"] is not None:
        try:
            host = str(ipaddress.IPv6Address(match["v6"]))
        except ValueError:
            return None
    else:
        host = _normal_host(match["name"])
    port = int(match["port"]) if match["port"] is not None else 80
    if not 0 < port < 65536:
        return None
    return host, port


def parse_origin(text: str) -> tuple[str, int] | None:
    """An `Origin` header as (normal host, port); None unless it is plain `http://`.

    The server speaks plain HTTP, so the page it serves has an http origin; `null`
    (a sandboxed frame, a file:// page) and every other scheme are someone else's page.
    """
    scheme, sep, authority = text.partition("://")
    if not sep or scheme.lower() != "http":
        return None
    return parse_authority(authority)


@dataclass(frozen=True)
class Served:
    """The address this server answers to, and the only ones it accepts in headers."""

    url: str
    accepted: frozenset[tuple[str, int]]

    @classmethod
    def at(cls, host: str, port: int) -> Served:
        host = _normal_host(host)
        names = {host}
        if is_loopback(host) or host in WILDCARDS:
            names |= LOOPBACK_ALIASES
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}" if port == 80 else f"http://{shown}:{port}"
        return cls(url, frozenset((name, port) for name in names))

    def refusal(self, hosts: Sequence[str], origins: Sequence[str], websocket: bool) -> str | None:
        """Why a request with these headers is refused (one line), or None to serve it.

        A request without `Origin` is served (a browser sends none when the agent types
        the address), but never a WebSocket: browsers always send one on an upgrade, so
        a missing one is not a browser on this server's page.
        """
        if len(hosts) != 1 or parse_authority(hosts[0].strip()) not in self.accepted:
            return f"the Host header must name this server ({self.url})"
        if websocket and not origins:
            return f"a WebSocket must come from this server's own page ({self.url})"
        if len(origins) > 1 or (origins and parse_origin(origins[0].strip()) not in self.accepted):
            return f"another site's page may not use this server (only {self.url})"
        return None


def guard(served: Served) -> Middleware:
    """The aiohttp middleware that refuses, before any route runs, what `served` refuses."""
    from aiohttp import web

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        # By route as well as by header: a plain GET to the WebSocket's route is refused
        # the same way, so that route only ever runs for a checked upgrade.
        websocket = upgrade or request.match_info.route.name == "websocket"
        reason = served.refusal(
            request.headers.getall("Host", []), request.headers.getall("Origin", []), websocket
        )
        if reason is None and websocket and not upgrade:
            # textual-serve would log a traceback for it (its handler assumes an upgrade).
            return _plain(400, "this address is the app's WebSocket: open the page instead")
        if reason is not None:
            # Headers are the requester's text: %r keeps escapes out of the terminal.
            log.warning(
                "refused %s %r (Host %r, Origin %r): %s",
                request.method,
                request.path,
                request.headers.get("Host"),
                request.headers.get("Origin"),
                reason,
            )
            return _plain(403, reason)
        return await handler(request)

    return check


def _plain(status: int, reason: str) -> web.Response:
    from aiohttp import web

    response = web.Response(status=status, text=f"{status} {reason}\n")
    # Never rendered as anything but text, whatever the browser would guess.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def envelope(text: str) -> tuple[str, object] | None:
    """A message of the page's protocol, `[kind, data]`, or None if it is not one."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, list) or not message or not isinstance(message[0], str):
        return None
    return message[0], message[1] if len(message) > 1 else None


def _cells(value: object) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return max(1, min(value, MAX_CELLS_ACROSS))


def serve(host: str, port: int, config: Path | None, agent: str | None, allow_remote: bool) -> int:
    """Serve until interrupted; refuses a non-loopback address without `allow_remote`."""
    if not is_loopback(host) and not allow_remote:
        raise ServeError(
            f"{host} is not a loopback address: anyone who reaches it would act as you "
            "(add --allow-remote to mean it, behind a proxy that asks for a login)"
        )
    if not 0 < port < 65536:
        raise ServeError(f"port must be 1-65535, not {port}")
    served = Served.at(host, port)
    # Imported here: the terminal app must not pay for aiohttp at every launch.
    from textual_serve.server import Server

    class GuardedServer(Server):
        # textual-serve offers no hook for middleware; its app factory is the one place
        # the aiohttp app exists before it is frozen (textual-serve is pinned, and
        # tests/ui/test_serve.py fails if this stops guarding).
        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.insert(0, guard(served))
            return app

        # textual-serve's own loop asserts on each message and logs a traceback with
        # its locals for one that is not JSON; this one ignores what is not the protocol.
        async def _process_messages(
            self, websocket: web.WebSocketResponse, app_service: AppService
        ) -> None:
            from aiohttp import WSMsgType

            async for message in websocket:
                if message.type != WSMsgType.TEXT:
                    continue
                parsed = envelope(message.data)
                if parsed is None:
                    log.warning("ignored a WebSocket message that is not [kind, data]")
                    continue
                kind, data = parsed
                if kind == "stdin" and isinstance(data, str):
                    await app_service.send_bytes(data.encode("utf-8"))
                elif kind == "resize" and isinstance(data, dict):
                    width, height = _cells(data.get("width")), _cells(data.get("height"))
                    if width is not None and height is not None:
                        await app_service.set_terminal_size(width, height)
                elif kind == "ping":
                    await websocket.send_json(["pong", data])
                elif kind == "blur":
                    await app_service.blur()
                elif kind == "focus":
                    await app_service.focus()

    # public_url: the page names this address for its script and WebSocket; textual-serve's
    # own guess writes an IPv6 host without brackets.
    server = GuardedServer(
        app_command(config, agent),
        host=host,
        port=port,
        title="helpdesk-tui",
        public_url=served.url,
    )
    server.serve()
    return 0
