"""Column headers are never cut inside a word (issue 14, acceptance line 5): each title
fits its column in every language the app ships, at every width a column is shown at,
and a header row at any terminal width holds whole titles only."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from helpdesk_tui.settings import i18n
from helpdesk_tui.ui.widgets.ticket_table import (
    BOARD_COLUMNS,
    COLUMNS,
    ESCALATION_COLUMNS,
    QUEUE_COLUMNS,
    fit_words,
    layout,
)


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_every_title_fits_its_column_in_every_language(language: str) -> None:
    catalogue = i18n.translations(language)
    too_long = {
        column.key: catalogue.gettext(column.title)
        for column in COLUMNS.values()
        if column.title and cell_len(catalogue.gettext(column.title)) > column.width
    }
    assert too_long == {}


@pytest.mark.parametrize("keys", [QUEUE_COLUMNS, BOARD_COLUMNS, ESCALATION_COLUMNS])
def test_a_header_row_holds_whole_titles_at_every_width(keys: tuple[str, ...]) -> None:
    for width in range(40, 201):
        for column, _x, w in layout(width, keys):
            cell = fit_words(column.title, w).rstrip()
            assert cell == column.title, (width, column.key, cell)


def test_a_title_too_long_for_its_cell_is_cut_between_words() -> None:
    assert fit_words("Requester / Org", 12) == "Requester /…"
    assert fit_words("Requester / Organisation", 20) == "Requester /…        "
