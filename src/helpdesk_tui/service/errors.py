"""How a use case refuses: one family for callers to catch, whichever ring refused."""

from __future__ import annotations


class ServiceError(ValueError):
    """A request refused by a rule; the message is one line for people."""


class ImportRefused(ServiceError):
    """One ticket of an import refused; `position` counts from 1 in the order given."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position
