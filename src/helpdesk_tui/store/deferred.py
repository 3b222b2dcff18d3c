"""A repository that opens later, for a process that already knows what it will read first.

The app launches while a helper process opens the store and reads the queue's first page
(helpdesk_tui/launch/startup.py): importing the database layer takes as long as importing the
screens, and the two run on two cores. The app then needs a repository before its own
connection exists. This one answers at once what the helper learnt (capabilities, key
prefix, that first page, once) and opens the real repository on the first call that needs
it, in the thread making that call; the app makes one in the background once the first
rows are drawn. Every later call goes to the real repository.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from .base import (
    Capability,
    ChangeFeed,
    MailQueue,
    Page,
    Query,
    TicketArchive,
    TicketRepository,
)


def _methods(protocol: type) -> frozenset[str]:
    found = vars(protocol).items()
    return frozenset(name for name, value in found if callable(value) and not name.startswith("_"))


PROTOCOLS: dict[str, type] = {
    "TicketRepository": TicketRepository,
    "ChangeFeed": ChangeFeed,
    "MailQueue": MailQueue,
    "TicketArchive": TicketArchive,
}
"""The protocols a caller may test a repository for with isinstance (feed_for, mail_queue)."""
_METHODS = {name: _methods(protocol) for name, protocol in PROTOCOLS.items()}
_ALL_METHODS = frozenset().union(*_METHODS.values())


def protocols_of(repo: object) -> frozenset[str]:
    """The names of the PROTOCOLS `repo` implements: a deferred stand-in offers the same."""
    return frozenset(name for name, protocol in PROTOCOLS.items() if isinstance(repo, protocol))


class DeferredRepository:
    """Stands for the repository `opener` returns, opening it on first need (thread-safe).

    `first` is a (query, page) pair already read elsewhere: the first `query` equal to it
    is answered with that page, once; a second asking wants fresh rows. The methods of
    `protocols` are there before the opening, so `isinstance` checks against them answer as
    they would for the real repository without waiting for it.
    """

    def __init__(
        self,
        opener: Callable[[], TicketRepository],
        *,
        capabilities: frozenset[Capability],
        key_prefix: str,
        protocols: frozenset[str],
        first: tuple[Query, Page] | None = None,
    ) -> None:
        self._opener = opener
        self._open_lock = threading.Lock()
        self._repo: TicketRepository | None = None
        self._closed = False
        self._capabilities = capabilities
        self._key_prefix = key_prefix
        self._forwarded = frozenset().union(*(_METHODS[name] for name in protocols))
        self._first_lock = threading.Lock()
        self._first = first
        self.served_first = False
        """Whether the first page was answered from what the helper read (benchmarks and
        tests check that the launch's early read is the one the queue asks for)."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._capabilities

    @property
    def key_prefix(self) -> str:
        return self._key_prefix

    @property
    def opened(self) -> bool:
        return self._repo is not None

    def open(self) -> TicketRepository:
        """The real repository, opened now if it is not yet (StoreErrors as `opener`'s)."""
        repo = self._repo
        if repo is not None:
            return repo
        with self._open_lock:
            if self._repo is None:
                if self._closed:
                    raise RuntimeError("the repository was closed before it was opened")
                self._repo = self._opener()
            return self._repo

    def take_first(self, query: Query) -> Page | None:
        """The page the helper read, if `query` asks for it and nobody took it yet; None
        otherwise. Never opens the store: the answer is at hand or not."""
        with self._first_lock:
            first = self._first
            if first is not None and _asks_the_same(first[0], query):
                self._first = None
                self.served_first = True
                return first[1]
        return None

    def query(self, query: Query) -> Page:
        page = self.take_first(query)
        return page if page is not None else self.open().query(query)

    def close(self) -> None:
        with self._open_lock:
            self._closed = True
            repo, self._repo = self._repo, None
        if repo is not None:
            repo.close()

    def _forward(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.open(), name)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class lacks. Private names are never forwarded:
        # copy and pickle probe for them before __init__ has run.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._forwarded:
            return partial(self._forward, name)
        if name in _ALL_METHODS:  # a protocol the real repository lacks: so does this
            raise AttributeError(name)
        return getattr(self.open(), name)


def _asks_the_same(read: Query, asked: Query) -> bool:
    """Whether `asked` asks for the rows `read` found. The service stamps every query
    with its clock (`as_of`), the helper's a moment before the app's: the instant matters
    only to a query that filters on urgency, which must then match it too."""
    if read.urgency is None and asked.urgency is None:
        return replace(read, as_of=None) == replace(asked, as_of=None)
    return read == asked
