"""RtClient: the HTTP side of the RT store (httpx, the token, REST2's answers).

Every failure becomes a one-line StoreError subclass that never holds the token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import httpx

from ..base import InvalidInput, NotFound, StoreUnavailable
from .config import RtConfig
from .errors import RtAuthError, RtBadResponse, RtForbidden, RtServerError, RtTimeout

PERMISSION_DENIED = re.compile(r"permission denied", re.IGNORECASE)


class TokenAuth(httpx.Auth):
    """Sends `Authorization: token …`; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._header = f"token {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "<RT token auth>"


class RtClient:
    """One httpx client on RT's REST2 base URL; counts the requests it sends."""

    def __init__(
        self, config: RtConfig, token: str, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._config = config
        self._http = httpx.Client(
            base_url=config.url.rstrip("/") + "/REST/2.0/",
            auth=TokenAuth(token),
            verify=config.verify_tls,
            timeout=config.timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "helpdesk-tui"},
            transport=transport,
        )
        self.requests = 0
        """How many HTTP requests were sent (tests and benchmarks read it)."""

    @property
    def host(self) -> str:
        return self._config.host

    @property
    def auth(self) -> httpx.Auth | None:
        """What authenticates each request (its repr never shows the token)."""
        return self._http.auth

    def close(self) -> None:
        self._http.close()

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
        host = self._config.host
        what = f"RT at {host}"
        try:
            self.requests += 1
            response = self._http.request(
                method,
                path,
                params=params,
                content=None if body is None else json.dumps(body).encode(),
                headers={
                    **({"Content-Type": "application/json"} if body is not None else {}),
                    **(headers or {}),
                },
            )
        except httpx.TimeoutException:
            raise RtTimeout(f"{what} did not answer within {self._config.timeout:g} s") from None
        except httpx.ConnectError as exc:
            reason = _connect_reason(exc)
            raise StoreUnavailable(f"cannot reach {what}: {reason}") from None
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"{what}: {type(exc).__name__}") from None
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
