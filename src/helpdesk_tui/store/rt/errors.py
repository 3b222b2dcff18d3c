"""The errors of the RT store: each a StoreError subclass with a one-line message."""

from __future__ import annotations

from ..base import StoreError, StoreUnavailable, Unsupported


class RtAuthError(StoreUnavailable):
    """RT refused the token (401): it is wrong, expired or revoked."""


class RtForbidden(StoreError):
    """RT understood the request but the token's user lacks the right (403)."""


class RtServerError(StoreUnavailable):
    """RT failed (5xx)."""


class RtTimeout(StoreUnavailable):
    """RT did not answer in time."""


class RtBadResponse(StoreUnavailable):
    """RT answered something that is not the JSON REST2 sends (a proxy page, a bug)."""


class RtUnsupported(Unsupported):
    """RT cannot do this (see `RtRepository.capabilities`)."""
