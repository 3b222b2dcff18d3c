"""A local audit log for what a remote backend cannot record itself: refused actions.

Request Tracker has no audit-only record: a comment would reach the ticket's watchers
and read as part of the conversation. So `RtRepository.record_refusal` appends here
instead: one JSON object per line, in a file under the app's state folder, with the
same fields a SQL store's audit row holds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from .base import REFUSED, InvalidInput, StoreUnavailable


def append_refusal(
    path: Path | None, actor: str, action: str, key: str | None, reason: str, at: datetime
) -> None:
    """Append one refusal to the log at `path`; StoreUnavailable if there is none or it
    cannot be written (the caller still refuses; it says the refusal went unrecorded)."""
    if path is None:
        raise StoreUnavailable("refusals cannot be audited: this store has no local audit log")
    if at.tzinfo is None:
        raise InvalidInput(f"timestamp without a timezone: {at.isoformat()}")
    record = {
        "at": at.astimezone(UTC).isoformat(),
        "actor": actor,
        "field": REFUSED + action,
        "ticket_key": key,
        "reason": reason,
    }
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write of one short line in append mode: lines written by several processes
        # at once never interleave.
        with path.open("a", encoding="utf-8") as log:
            log.write(line)
    except OSError as exc:
        raise StoreUnavailable(f"audit log {path}: {exc.strerror or exc}") from exc
