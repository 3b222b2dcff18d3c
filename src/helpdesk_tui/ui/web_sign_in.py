"""Signing a browser in to `serve --allow-remote`, against the store's own logins.

Served to other machines, a browser session is a login of its own, not the terminal of
whoever started `serve`: the page asks for a PostgreSQL login and its password, or an
RT token, and the server tries them on the store itself (`launch.bootstrap.sign_in`).
A session that signed in gets a random cookie; its app process runs with those
credentials in its environment (never on a command line), so the store's own rights
(roles and row-level security, RT's rights) apply to everything it reads and writes.
The credentials stay in this process's memory, with the session, and nowhere else.
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("helpdesk_tui.serve")

SIGN_IN_PATH = "/sign-in"
AGENT_ENV = "HELPDESK_AGENT"
MAX_LOGIN = 63
"""PostgreSQL's longest role name."""
MAX_SECRET = 4096
FAILED_PAUSE = 1.0
"""Seconds a refused sign-in waits before it answers: guessing goes slowly."""

Verify = Callable[[str, str], str]
"""(login, secret) → the agent signed in; raises SignInRefused with the reason."""


class SignInRefused(Exception):
    """The store did not take this login and secret; the message is for the log only."""


@dataclass
class SignIn:
    """How browsers sign in, and the sessions that have."""

    kind: Literal["database", "rt"]
    verify: Verify
    sessions: dict[str, dict[str, str]] = field(default_factory=dict)
    """Session cookie → the environment its app process gets."""
    environment: Callable[[str, str], dict[str, str]] = field(default=lambda login, s: {})
    """(login, secret) → what the app process of that session is given to sign in."""

    def session(self, cookie: str | None) -> dict[str, str] | None:
        if not cookie:
            return None
        return self.sessions.get(cookie)

    async def answer(self, request: web.Request, cookie_name: str, secure: bool) -> web.Response:
        """The page's form posted: a session and the app, or the form again, refused."""
        from aiohttp import web

        form = await request.post()
        login = str(form.get("login", "")).strip()
        secret = str(form.get("secret", ""))
        if self.kind == "rt":
            login = "token"
        problem = None
        if not login or not secret:
            problem = "fill in both fields" if self.kind == "database" else "paste a token"
        elif len(login) > MAX_LOGIN or len(secret) > MAX_SECRET:
            problem = "that is longer than any login or password"
        if problem is None:
            loop = asyncio.get_running_loop()
            try:
                agent = await loop.run_in_executor(None, self.verify, login, secret)
            except SignInRefused as exc:
                # The reason may name the server; it goes to the log, with %r.
                log.warning("refused a sign-in as %r: %r", login, str(exc))
                await asyncio.sleep(FAILED_PAUSE)
                problem = (
                    "that login and password do not sign in to this helpdesk"
                    if self.kind == "database"
                    else "that token does not sign in to this helpdesk"
                )
            else:
                cookie = secrets.token_urlsafe(32)
                # The agent's name too, so the app's header says who it is from the
                # first frame (the store confirms it when it opens).
                self.sessions[cookie] = {**self.environment(login, secret), AGENT_ENV: agent}
                log.info("signed in %r as %r", login, agent)
                response = web.HTTPSeeOther("/")
                response.set_cookie(
                    cookie_name, cookie, httponly=True, samesite="Strict", secure=secure, path="/"
                )
                return response
        return self.page(problem, status=403)

    def page(self, problem: str | None = None, status: int = 200) -> web.Response:
        """The sign-in form; `problem` said above it (escaped: it is never markup)."""
        from aiohttp import web

        if self.kind == "database":
            fields = (
                '<label>Login <input name="login" autocomplete="username" autofocus></label>'
                '<label>Password <input name="secret" type="password" '
                'autocomplete="current-password"></label>'
            )
        else:
            fields = '<label>RT auth token <input name="secret" type="password" autofocus></label>'
        said = f'<p class="problem">{html.escape(problem)}</p>' if problem else ""
        body = _PAGE.format(action=SIGN_IN_PATH, fields=fields, problem=said)
        response = web.Response(status=status, text=body, content_type="text/html")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
        )
        response.headers["Cache-Control"] = "no-store"
        return response


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>helpdesk-tui: sign in</title>
<style>
body {{ font-family: monospace; background: #1e1e2e; color: #cdd6f4; display: grid;
       place-items: center; min-height: 90vh; }}
form {{ display: grid; gap: 0.8em; min-width: 22em; }}
input {{ width: 100%; font: inherit; padding: 0.3em; }}
.problem {{ color: #f38ba8; }}
</style></head>
<body><form method="post" action="{action}">
<h1>helpdesk-tui</h1>{problem}{fields}<button type="submit">Sign in</button>
</form></body></html>
"""
