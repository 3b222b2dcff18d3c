"""textual-serve's server, guarded (serve.py's `guard`), over TLS, with signed-in sessions.

Imported only by `helpdesk-tui serve`: the terminal app never pays for aiohttp.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import ssl
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Middleware
from textual_serve.app_service import AppService
from textual_serve.server import Server

from .web_sign_in import SignIn

log = logging.getLogger("helpdesk_tui.serve")

# A resize beyond this is not a screen: clamped, so a page cannot make the app draw a
# terminal of millions of cells.
MAX_CELLS_ACROSS = 1000

SESSION_CLEARS = ("HELPDESK_AGENT", "HELPDESK_DB_PASSWORD", "HELPDESK_DB_LOGIN", "HELPDESK_TOKEN")
"""What a signed-in session's app must not inherit from whoever started `serve`: it signs
in with its own login (given in its environment), or not at all."""


class SessionApp(AppService):
    """An app process with its browser session's sign-in, not the server's."""

    def __init__(self, *args: Any, signed_in: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signed_in = signed_in

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        for name in SESSION_CLEARS:
            environment.pop(name, None)
        return {**environment, **self.signed_in}


class GuardedServer(Server):
    """textual-serve's Server behind `middleware` (serve.py's guard), over `tls` when
    given; `sessions` is how browsers sign in and the cookie that names their session."""

    def __init__(
        self,
        middleware: Middleware,
        tls: ssl.SSLContext | None,
        sessions: tuple[SignIn | None, str],
        command: str,
        **options: Any,
    ) -> None:
        super().__init__(command, **options)
        self.middleware, self.tls = middleware, tls
        self.sign_in, self.cookie = sessions

    # textual-serve offers no hook for middleware; its app factory is the one place the
    # aiohttp app exists before it is frozen (textual-serve is pinned, and
    # tests/ui/test_serve.py fails if this stops guarding).
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.insert(0, self.middleware)
        return app

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.sign_in is None:
            return await super().handle_websocket(request)
        # The guard let only a signed-in session's upgrade through.
        environment = self.sign_in.session(request.cookies.get(self.cookie)) or {}
        websocket = web.WebSocketResponse(heartbeat=15)
        width = cells(_number(request.query.get("width"))) or 80
        height = cells(_number(request.query.get("height"))) or 24
        await websocket.prepare(request)
        app_service = SessionApp(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
            signed_in=environment,
        )
        try:
            await app_service.start(width, height)
            await self._process_messages(websocket, app_service)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            await app_service.stop()
        return websocket

    # textual-serve's own loop asserts on each message and logs a traceback with its
    # locals for one that is not JSON; this one ignores what is not the protocol.
    async def _process_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
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
                width, height = cells(data.get("width")), cells(data.get("height"))
                if width is not None and height is not None:
                    await app_service.set_terminal_size(width, height)
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    def serve(self, debug: bool = False) -> None:
        # textual-serve's own serve() has no TLS: the same run, with the context.
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            ssl_context=self.tls,
            print=lambda *args: None,
        )


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() and len(text) < 7 else None


def envelope(text: str) -> tuple[str, object] | None:
    """A message of the page's protocol, `[kind, data]`, or None if it is not one."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, list) or not message or not isinstance(message[0], str):
        return None
    return message[0], message[1] if len(message) > 1 else None


def cells(value: object) -> int | None:
    """A width or height the page sent, clamped to MAX_CELLS_ACROSS; None if no number."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return max(1, min(value, MAX_CELLS_ACROSS))
