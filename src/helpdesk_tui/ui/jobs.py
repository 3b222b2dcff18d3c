"""The one threading rule of the UI: store calls run in thread workers, never on the
event loop, and their results come back to the loop before any widget is touched.

`call_store(node, job, done)` runs `job()` in a worker and then `done(result)` on the
event loop; a failure goes to `failed(exc)` (default: an error notification). The app
counts calls in flight so a slow store shows as a status line, not a frozen screen, and
an unreachable one as an error line until the change listener (ui/live.py) finds it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from ..store.base import StoreUnavailable
from .context import app_context
from .widgets.status_line import StatusLine

T = TypeVar("T")


def call_store(
    node: DOMNode,
    job: Callable[[], T],
    done: Callable[[T], Any] | None = None,
    failed: Callable[[Exception], Any] | None = None,
    *,
    group: str = "store",
    exclusive: bool = False,
    what: str = "",
    background: bool = False,
) -> Worker[None]:
    app, context = node.app, app_context(node)
    activity = context.store_activity

    def run() -> None:
        worker = get_current_worker()
        ticket = activity.begin(what, background=background)
        try:
            result = job()
        except Exception as exc:  # every failure is shown to the agent, none is lost
            activity.end(ticket, error=str(exc))
            if isinstance(exc, StoreUnavailable):
                activity.lost(str(exc))
            if not worker.is_cancelled:
                app.call_from_thread(failed or context.show_error, exc)
            return
        if activity.end(ticket):
            # The line said "waiting for the store": say it is over now, not at the
            # status line's next poll.
            app.call_from_thread(show_activity, app)
        if not worker.is_cancelled and done is not None:
            app.call_from_thread(done, result)

    return node.run_worker(run, thread=True, group=group, exclusive=exclusive, exit_on_error=False)


def show_activity(app: App[Any]) -> None:
    """Redraw the status lines now: a slow call they show as waiting has ended."""
    for line in app.screen.query(StatusLine):
        line.show_activity()
