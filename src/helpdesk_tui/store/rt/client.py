"""RtClient: the HTTP side of the RT store (httpx, the token, REST2's answers).

Every failure becomes a one-line StoreError subclass that never holds the token.

RT checks a token with bcrypt on every request it comes with (about 0.2 s of RT's CPU,
more than a queue page's search itself), while REST2 also takes the session cookie of
RT's web UI. So reads go with a web session that the token opened once (RT's own
token login, through REST 1.0); writes keep the token, since RT's cross-site request
check refuses a cookie on a write that names no page of its own as its origin.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ..base import InvalidInput, NotFound, StoreUnavailable
from .config import RtConfig
from .errors import RtAuthError, RtBadResponse, RtForbidden, RtServerError, RtTimeout

PERMISSION_DENIED = re.compile(r"permission denied", re.IGNORECASE)
REST1_OK = re.compile(r"RT/\S+ 200 Ok")
"""The first line of a REST 1.0 answer to a request RT authenticated."""
LOGIN_PATH = "/REST/1.0/"
LOGOUT_PATH = "/REST/1.0/logout"


class TokenAuth(httpx.Auth):
    """Sends `Authorization: token …`; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._header = f"token {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "<RT token auth>"


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Keeps no cookie: the session cookie goes on reads only, set by hand, and RT hands
    every request it refuses a fresh anonymous session that must not stick."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class RtClient:
    """One httpx client on RT's REST2 base URL (one keep-alive connection pool for every
    call); counts the requests it sends. Thread-safe."""

    def __init__(
        self, config: RtConfig, token: str, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._config = config
        self._root = config.url.rstrip("/")
        self._http = httpx.Client(
            base_url=self._root + "/REST/2.0/",
            auth=TokenAuth(token),
            verify=config.verify_tls,
            timeout=config.timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "helpdesk-tui"},
            cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
            transport=transport,
        )
        self._counter = threading.Lock()
        self._requests = 0
        self._session_lock = threading.Lock()
        """Guards the session and the thread pool's creation."""
        self._session: str | None = None
        """The web session's "Cookie" header value, None without one."""
        self._session_at = 0.0
        """When (monotonic) the session was opened, or the last login RT refused was sent."""
        self._login_tried = False
        self._pool: ThreadPoolExecutor | None = None

    @property
    def requests(self) -> int:
        """How many HTTP requests were sent (tests and benchmarks read it)."""
        return self._requests

    @property
    def host(self) -> str:
        return self._config.host

    @property
    def auth(self) -> httpx.Auth | None:
        """What authenticates each request (its repr never shows the token)."""
        return self._http.auth

    @property
    def has_session(self) -> bool:
        """Whether reads go with a web session now (tests read it)."""
        return self._session is not None

    def close(self) -> None:
        """End the web session in RT (best effort) and close the connections."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        with self._session_lock:
            session, self._session = self._session, None
        if session is not None:
            self._logout(session)
        self._http.close()

    def _count(self) -> None:
        with self._counter:
            self._requests += 1

    def _reading_session(self) -> str | None:
        """The session cookie for a read: opened on the first read, opened again once
        `session_seconds` have passed (so a revoked token stops working within that),
        and not asked for again before then once RT gave none."""
        if self._config.session_seconds <= 0:
            return None
        with self._session_lock:
            fresh = time.monotonic() - self._session_at < self._config.session_seconds
            if fresh and (self._session is not None or self._login_tried):
                return self._session
            old, self._session = self._session, self._login()
            self._session_at, self._login_tried = time.monotonic(), True
        if old is not None:
            self._logout(old)
        return self._session

    def _login(self) -> str | None:
        """RT's web login with the token: its session cookie, or None when RT gives no
        session (REST 1.0 not served there, a proxy in between): reads keep the token."""
        response = self._send("GET", self._root + LOGIN_PATH, None, None, {}, None)
        first_line = response.text.lstrip().split("\n", 1)[0]
        if response.status_code != 200 or not REST1_OK.match(first_line):
            return None
        for name, value in response.cookies.items():
            if name.startswith("RT_SID_"):
                return f"{name}={value}"
        return None

    def _logout(self, session: str) -> None:
        try:
            self._count()
            self._http.get(
                self._root + LOGOUT_PATH,
                headers={"Cookie": session},
                auth=httpx.Auth(),
                timeout=min(self._config.timeout, 2.0),
            )
        except httpx.HTTPError:
            pass  # RT drops unused sessions itself; nothing to tell anyone

    def _drop(self, session: str) -> None:
        """RT no longer knows the session (expired, cleaned away): open another next time."""
        with self._session_lock:
            if self._session == session:
                self._session, self._login_tried = None, False

    def _send(
        self,
        method: str,
        path: str,
        params: Any,
        body: Any,
        headers: Mapping[str, str],
        session: str | None,
    ) -> httpx.Response:
        what = f"RT at {self._config.host}"
        try:
            self._count()
            return self._http.request(
                method,
                path,
                params=params,
                content=None if body is None else json.dumps(body).encode(),
                headers={
                    **({"Content-Type": "application/json"} if body is not None else {}),
                    **({"Cookie": session} if session is not None else {}),
                    **headers,
                },
                # With the cookie, no token: RT would quietly fall back to it (bcrypt) on a
                # session it no longer knows; without it RT says so (302) and we log in anew.
                auth=httpx.Auth() if session is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException:
            raise RtTimeout(f"{what} did not answer within {self._config.timeout:g} s") from None
        except httpx.ConnectError as exc:
            reason = _connect_reason(exc)
            raise StoreUnavailable(f"cannot reach {what}: {reason}") from None
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"{what}: {type(exc).__name__}") from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> httpx.Response:
        """One request; every failure becomes a one-line StoreError without the token."""
        session = self._reading_session() if method == "GET" else None
        response = self._send(method, path, params, body, headers or {}, session)
        if session is not None and response.status_code == 302:
            # REST2 sends a browser whose session it does not know to the login page.
            self._drop(session)
            response = self._send(method, path, params, body, headers or {}, None)
        return self._checked(response, ok)

    def _checked(self, response: httpx.Response, ok: tuple[int, ...]) -> httpx.Response:
        what = f"RT at {self._config.host}"
        status = response.status_code
        if status in ok or status in (304, 412):
            return response
        detail = _rt_message(response)
        if status == 401:
            raise RtAuthError(
                f"{what} refused the token (401): run `helpdesk-tui login` or set $HELPDESK_TOKEN"
            )
        if status == 403 or (status == 400 and PERMISSION_DENIED.search(detail)):
            raise RtForbidden(
                f"{what} denied it ({status}, RT rights){': ' + detail if detail else ''}"
            )
        if status == 404:
            raise NotFound(f"{what}: not found{': ' + detail if detail else ''}")
        if status >= 500:
            raise RtServerError(f"{what} failed ({status}){': ' + detail if detail else ''}")
        if status in (400, 409, 422):
            raise InvalidInput(f"{what} refused it ({status}){': ' + detail if detail else ''}")
        raise RtBadResponse(f"{what} answered {status} unexpectedly")

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise RtBadResponse(
                f"RT at {self._config.host} sent malformed JSON ({kind}, "
                f"{len(response.content)} bytes) for {response.request.url.path}"
            ) from None

    def get_json(self, path: str, params: Any = None) -> Any:
        return self.json(self.request("GET", path, params=params))

    def get_many(self, calls: Sequence[tuple[str, Any]]) -> list[Any]:
        """The JSON answers of several independent GETs, in order, sent at once (at most
        `parallel_requests` at a time: RT serves each in a worker process of its own)."""
        if len(calls) <= 1 or self._config.parallel_requests <= 1:
            return [self.get_json(path, params) for path, params in calls]
        self._reading_session()  # once, before the requests that share it
        with self._session_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self._config.parallel_requests, thread_name_prefix="rt-request"
                )
            pool = self._pool
        futures = [pool.submit(self.get_json, path, params) for path, params in calls]
        return [future.result() for future in futures]

    def items(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a REST2 collection, 100 a request."""
        page = 1
        while True:
            data = self.get_json(path, {**params, "per_page": 100, "page": page})
            items = expect_list(data, "items", self._config.host)
            yield from items
            if len(items) < 100:
                return
            page += 1


def expect_list(data: Any, key: str, host: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RtBadResponse(f"RT at {host} sent a collection without {key}")
    return [i for i in items if isinstance(i, dict)]


def one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def denied(response: httpx.Response) -> str | None:
    """RT's "Permission Denied" among the messages of an answer it sent with 200."""
    try:
        messages = response.json()
    except ValueError:
        return None
    if not isinstance(messages, list):
        return None
    for message in messages:
        if isinstance(message, str) and PERMISSION_DENIED.search(message):
            return one_line(message, 120)
    return None


def _rt_message(response: httpx.Response) -> str:
    """RT's own words about an error (untrusted text: one short line)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return one_line(data["message"], 160)
    return ""


def _connect_reason(exc: httpx.ConnectError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "resolve" in text:
        return "unknown host"
    if "certificate" in text or "ssl" in text:
        return "TLS certificate not trusted (set verify_tls = false only for a test server)"
    return one_line(exc, 120) or "connection failed"
