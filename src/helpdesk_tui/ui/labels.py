"""The UI's words for stored values: sort keys and report periods, in the current
language. The CLI and the report print the English of `periods` and `SortKey`; these
are only for the screens."""

from __future__ import annotations

import re

from ..domain.periods import Period, PeriodKind, day_or_instant
from ..settings.i18n import N_, _, label, ngettext
from ..store.base import SortKey

# The sort keys as the queue's title names them ("by SLA due"): in words in every
# language; the stored key ("by sla_due") is the config file's and the CLI's spelling.
SORT_NAMES = {
    SortKey.SLA_DUE: N_("SLA due"),
    SortKey.PRIORITY: N_("priority"),
    SortKey.CREATED: N_("created"),
    SortKey.UPDATED: N_("updated"),
    SortKey.KEY: N_("key"),
    SortKey.URGENCY: N_("urgency"),
    SortKey.RELEVANCE: N_("relevance"),
}

MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)
"""Month names without the locale's strftime (the process locale may not be set)."""


def counted(total: int, capped: bool) -> str:
    """A count as a list says it: "10,000+" where the count stopped at its cap."""
    return f"{total:,}+" if capped else f"{total:,}"


def sort_name(key: SortKey) -> str:
    return label(SORT_NAMES[key])


def period_name(period: Period) -> str:
    """`Period.describe()` in the current language ("last 30 days", "March 2026")."""
    if period.kind is PeriodKind.ROLLING:
        if period.name:
            return ngettext("last {count} day", "last {count} days", period.days).format(
                count=period.days
            )
        return ngettext("{count} day to {until}", "{count} days to {until}", period.days).format(
            count=period.days, until=f"{period.until:%Y-%m-%d %H:%M}"
        )
    if period.name:
        return period.name  # "last 3 months": made for the CLI's --last
    if period.kind is PeriodKind.WEEK:
        year, week, _weekday = period.since.isocalendar()
        return _("week {week}").format(week=f"{year}-W{week:02d}")
    if period.kind is PeriodKind.MONTH:
        return f"{label(MONTHS[period.since.month - 1])} {period.since:%Y}"
    return _("{since} to {until}").format(
        since=day_or_instant(period.since), until=day_or_instant(period.until)
    )


def period_title(period: Period) -> str:
    """`Period.title()` in the current language: the name, and the bounds it lacks."""
    name = period_name(period)
    bounds = period.range_text()
    return name if period.describe() == bounds.replace(" → ", " to ") else f"{name} ({bounds})"


def keyed(key: str, message: str) -> str:
    """`message` about ticket `key`, led by the key: "HD-98: …", unless the message
    already starts with it ("HD-98: HD-98 is held by gustavo" said the key twice)."""
    if re.match(rf"{re.escape(key)}\b", message, re.IGNORECASE):
        return message
    return _("{key}: {error}").format(key=key, error=message)
