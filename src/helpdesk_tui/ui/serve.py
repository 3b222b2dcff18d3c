"""`helpdesk-tui serve`: the same app in a web browser, through textual-serve.

Each browser tab that connects gets its own app process, started with the command line
this module builds (the same config and agent as `serve` itself), speaking Textual's
web driver protocol over a WebSocket. Nothing is sent anywhere but the browser that
asked: the page, its script and its fonts come from the local server.

textual-serve has no login of its own: whoever can reach the port would act as the
agent who started it, and on loopback that is every local user and program. So each
`serve` makes a session key and prints the address to open with it (as Jupyter does):
the page at that address sets it as a cookie (HttpOnly, SameSite=Strict) and every
request, the WebSocket included, must carry it; without it, a plain 403 and no app
process. It listens on loopback unless told otherwise, and elsewhere only over TLS.

Listening on loopback is not enough on its own: any web page the agent opens can make
their browser talk to 127.0.0.1, either by opening a WebSocket to it (browsers let a
page do that cross-site, with the page's own `Origin`) or through DNS rebinding (a name
the attacker controls that resolves to 127.0.0.1, so the browser sends `Host:
evil.example`). So every request, the WebSocket upgrade included, must name this server
in `Host`, and in `Origin` when it has one; anything else gets a plain 403 before
textual-serve sees it, and no app process is started for it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import secrets
import shlex
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .web_sign_in import SIGN_IN_PATH, SignIn

if TYPE_CHECKING:
    from aiohttp import web
    from aiohttp.typedefs import Handler, Middleware
    from textual_serve.server import Server

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
# The names a browser on this machine may use for a loopback server, whichever of them
# the server was told to listen on: the page is reachable as any of them.
LOOPBACK_ALIASES = frozenset({"127.0.0.1", "localhost", "::1"})
# Binding to these listens on loopback too, so the loopback names reach it as well.
WILDCARDS = frozenset({"0.0.0.0", "::"})

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
    return _origin(text, "http")


def _origin(text: str, wanted: str) -> tuple[str, int] | None:
    scheme, sep, authority = text.partition("://")
    if not sep or scheme.lower() != wanted:
        return None
    found = parse_authority(authority)
    if found is not None and wanted == "https" and ":" not in authority.rsplit("]", 1)[-1]:
        found = (found[0], 443)  # an https origin leaves out its default port, 443
    return found


KEY_PARAMETER = "key"
"""The query parameter of the address `serve` prints: the session key."""


@dataclass(frozen=True)
class Served:
    """The address this server answers to, the only ones it accepts in headers, and the
    session key every request must carry (as the cookie `cookie`)."""

    url: str
    accepted: frozenset[tuple[str, int]]
    key: str = ""
    tls: bool = False

    @classmethod
    def at(cls, host: str, port: int, *, key: str = "", tls: bool = False) -> Served:
        host = _normal_host(host)
        names = {host}
        if is_loopback(host) or host in WILDCARDS:
            names |= LOOPBACK_ALIASES
        shown = f"[{host}]" if ":" in host else host
        scheme, default = ("https", 443) if tls else ("http", 80)
        url = f"{scheme}://{shown}" if port == default else f"{scheme}://{shown}:{port}"
        return cls(url, frozenset((name, port) for name in names), key, tls)

    @property
    def cookie(self) -> str:
        """The cookie's name: browsers share cookies between the ports of one host, so
        two servers on one machine must not overwrite each other's key."""
        port = next(iter(self.accepted))[1]
        return f"helpdesk_session_{port}"

    @property
    def login_url(self) -> str:
        """The address to open: it carries the session key."""
        return f"{self.url}/?{KEY_PARAMETER}={self.key}"

    def holds_key(self, presented: str | None) -> bool:
        return (
            bool(self.key)
            and presented is not None
            and hmac.compare_digest(presented.encode(), self.key.encode())
        )

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
        scheme = "https" if self.tls else "http"
        if len(origins) > 1 or (
            origins and _origin(origins[0].strip(), scheme) not in self.accepted
        ):
            return f"another site's page may not use this server (only {self.url})"
        return None


def guard(served: Served, sign_in: SignIn | None = None) -> Middleware:
    """The aiohttp middleware that refuses, before any route runs, what `served` refuses;
    with `sign_in`, a browser without a session gets the sign-in form and nothing else."""
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
        cookie = request.cookies.get(served.cookie)
        if reason is None and sign_in is not None and sign_in.session(cookie) is None:
            if request.path == SIGN_IN_PATH and request.method == "POST" and not websocket:
                return await sign_in.answer(request, served.cookie, served.tls)
            if request.path == "/" and request.method == "GET" and not websocket:
                return sign_in.page()
            reason = "sign in first, on this server's page"
        elif reason is None and sign_in is None and not served.holds_key(cookie):
            if request.path == "/" and served.holds_key(request.query.get(KEY_PARAMETER)):
                return _signed_in(served)
            reason = "open the address `helpdesk-tui serve` printed: it carries this session's key"
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


def _signed_in(served: Served) -> web.Response:
    """The key was in the address: keep it as a cookie and drop it from the address bar
    (and from the history and any Referer) by sending the browser to the page itself."""
    from aiohttp import web

    response = web.HTTPSeeOther("/")
    response.set_cookie(
        served.cookie, served.key, httponly=True, samesite="Strict", secure=served.tls, path="/"
    )
    return response


def _plain(status: int, reason: str) -> web.Response:
    from aiohttp import web

    response = web.Response(status=status, text=f"{status} {reason}\n")
    # Never rendered as anything but text, whatever the browser would guess.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The server's TLS from a certificate and its key (PEM); None without either."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ServeError("TLS needs both --tls-cert and --tls-key")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise ServeError(f"cannot use {cert} and {key} for TLS: {reason}") from None
    return context


def serve(
    host: str,
    port: int,
    config: Path | None,
    agent: str | None,
    allow_remote: bool,
    tls: ssl.SSLContext | None = None,
    sign_in: SignIn | None = None,
) -> int:
    """Serve until interrupted, if `check` lets it."""
    check(host, port, allow_remote, tls, sign_in)
    served = Served.at(host, port, key=secrets.token_urlsafe(32), tls=tls is not None)
    remote = allow_remote and sign_in is not None
    command = app_command(config, None if remote else agent)
    server = _guarded_server(host, port, served, tls, command, sign_in if remote else None)
    if remote:
        print(f"helpdesk-tui: serving {served.url}; each browser signs in", flush=True)
    else:
        # The one address that signs a browser in: on stdout, flushed before the server's
        # own banner, for the person who started it (and nobody else: stdout is theirs).
        print(f"helpdesk-tui: open {served.login_url}", flush=True)
        print(
            "  (the key in it is this session's login: anyone who has it acts as you)", flush=True
        )
    server.serve()
    return 0


def check(
    host: str, port: int, allow_remote: bool, tls: ssl.SSLContext | None, sign_in: SignIn | None
) -> None:
    """Refuse (ServeError, one line) a non-loopback address without `allow_remote`, and
    `allow_remote` without TLS or without `sign_in` (the store's own logins)."""
    if not is_loopback(host) and not allow_remote:
        raise ServeError(
            f"{host} is not a loopback address: anyone who reaches it would act as you "
            "(add --allow-remote to mean it, with --tls-cert and --tls-key)"
        )
    if not is_loopback(host) and tls is None:
        raise ServeError(
            f"serving {host} to other machines needs TLS: the session key and every key "
            "press would cross the network in clear (give --tls-cert and --tls-key)"
        )
    if allow_remote and tls is None:
        raise ServeError(
            "--allow-remote needs TLS: every password and key press would cross the "
            "network in clear (give --tls-cert and --tls-key)"
        )
    if allow_remote and sign_in is None:
        raise ServeError(
            "--allow-remote signs each browser in with the store's own logins (a "
            "PostgreSQL login or an RT token); this store has none"
        )
    if not 0 < port < 65536:
        raise ServeError(f"port must be 1-65535, not {port}")


def _guarded_server(
    host: str,
    port: int,
    served: Served,
    tls: ssl.SSLContext | None,
    command: str,
    sign_in: SignIn | None = None,
) -> Server:
    """textual-serve's server for `command` on host:port, behind `guard(served)`, over
    `tls` when given; with `sign_in`, each session's app signs in as its browser did."""
    # Imported here: the terminal app must not pay for aiohttp at every launch.
    from .web_server import GuardedServer

    middleware = guard(served, sign_in)

    # public_url: the page names this address for its script and WebSocket; textual-serve's
    # own guess writes an IPv6 host without brackets.
    return GuardedServer(
        middleware,
        tls,
        (sign_in, served.cookie),
        command,
        host=host,
        port=port,
        title="helpdesk-tui",
        public_url=served.url,
    )
