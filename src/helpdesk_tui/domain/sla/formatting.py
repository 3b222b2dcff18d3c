"""SLA durations as people read them in a table cell."""

from __future__ import annotations

from datetime import timedelta

from .calendar import DAY_SECONDS


def format_remaining(remaining: timedelta) -> str:
    """A short table-cell countdown: "45s", "4m12s", "1h05m", "3d02h"; "-" when overdue.

    Magnitudes are truncated, so a countdown never shows more time than is left.
    """
    secs = remaining.total_seconds()
    whole = int(abs(secs))
    sign = "-" if secs < 0 and whole else ""
    if whole < 60:
        return f"{sign}{whole}s"
    if whole < 3600:
        m, s = divmod(whole, 60)
        return f"{sign}{m}m{s:02d}s"
    if whole < DAY_SECONDS:
        h, r = divmod(whole, 3600)
        return f"{sign}{h}h{r // 60:02d}m"
    d, r = divmod(whole, DAY_SECONDS)
    return f"{sign}{d}d{r // 3600:02d}h"
