"""Macros in the domain: filling in a body once, choosing its language, the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.domain.macros import (
    LANGUAGES,
    Macro,
    MacroChanges,
    MacroError,
    due_text,
    render,
)
from helpdesk_tui.domain.model import Priority, Status, Ticket
from helpdesk_tui.domain.sla import ClockState, TargetKind, TargetStatus
from helpdesk_tui.settings.i18n import LANGUAGES as APP_LANGUAGES

EVERY = "$requester_name|$key|$agent|$subject|$due|${key}|$$agent"


def _macro(**bodies: str) -> Macro:
    return Macro("hello", "Hello", bodies or {"en": EVERY})


def _ticket(**fields: object) -> Ticket:
    return Ticket(key="HD-7", subject="Login fails", requester_name="Maria").with_changes(**fields)


def test_each_placeholder_is_filled_in_and_a_double_dollar_is_one() -> None:
    text = render(_macro(), _ticket(), "Ana Agent", due_text="2026-03-05 14:00 UTC")
    assert text == "Maria|HD-7|Ana Agent|Login fails|2026-03-05 14:00 UTC|HD-7|$agent"


@pytest.mark.parametrize(
    "hostile",
    ["$agent", "${key}", "$$", "$due and $requester_name", "$", "${", "$subject"],
)
def test_customer_text_that_looks_like_a_placeholder_is_inserted_once(hostile: str) -> None:
    ticket = _ticket(subject=f"Help {hostile} now", requester_name=f"Eve {hostile}")
    text = render(_macro(en="Hi $requester_name: $subject, from $agent"), ticket, "Ana")
    assert text == f"Hi Eve {hostile}: Help {hostile} now, from Ana"


def test_escape_sequences_and_newlines_in_customer_text_are_made_inert() -> None:
    ticket = _ticket(subject="Red \x1b[31malert\x1b[0m\nBcc: x", requester_name="Eve\x07\r\n")
    text = render(_macro(en="$requester_name/$subject"), ticket, "Ana\x1b]0;title\x07")
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "\n" not in text  # a value never adds a line (a header, a signature)
    assert text.startswith("Eve") and "Bcc: x" in text


def test_markup_in_customer_text_stays_as_it_was_written() -> None:
    ticket = _ticket(subject="[bold]urgent[/bold] [link=http://x]y[/link]")
    assert render(_macro(en="Re: $subject"), ticket, "Ana") == (
        "Re: [bold]urgent[/bold] [link=http://x]y[/link]"
    )


def test_the_ticket_language_picks_the_body_and_english_is_the_fallback() -> None:
    macro = _macro(en="Hi $agent", sv="Hej $agent", pt="Olá $agent")
    assert render(macro, _ticket(language="sv"), "Ana") == "Hej Ana"
    assert render(macro, _ticket(language="pt-BR"), "Ana") == "Olá Ana"
    assert render(macro, _ticket(language="PT"), "Ana") == "Olá Ana"
    assert render(macro, _ticket(language="de"), "Ana") == "Hi Ana"
    assert render(macro, _ticket(language=""), "Ana") == "Hi Ana"
    # A language asked for wins over the ticket's; one the macro lacks falls back.
    assert render(macro, _ticket(language="sv"), "Ana", language="pt") == "Olá Ana"
    assert render(_macro(en="Hi", sv="Hej"), _ticket(language="pt"), "Ana") == "Hi"


def test_the_macro_languages_are_the_apps() -> None:
    assert set(LANGUAGES) == set(APP_LANGUAGES)


@pytest.mark.parametrize(
    ("bodies", "changes", "key", "words"),
    [
        ({"en": "Hi $name"}, MacroChanges(), "body.en", "unknown placeholder $name"),
        ({"en": "ok", "sv": "Hej ${agentx}"}, MacroChanges(), "body.sv", "$agentx"),
        ({"en": "costs $5"}, MacroChanges(), "body.en", "write $$ for a dollar sign"),
        ({"en": "Hi $Agent"}, MacroChanges(), "body.en", "unknown placeholder $Agent"),
        ({"sv": "Hej"}, MacroChanges(), "body.en", "English body"),
        ({"en": "Hi", "de": "Hallo"}, MacroChanges(), "body.de", "no such language"),
        ({"en": "  \n"}, MacroChanges(), "body.en", "empty"),
        ({"en": "Hi"}, MacroChanges(tags=("a", "a")), "changes.tags", "twice"),
        ({"en": "Hi"}, MacroChanges(tags=("a\nb",)), "changes.tags", "one line"),
        ({"en": "Hi"}, MacroChanges(assignee=" "), "changes.assignee", "empty"),
    ],
)
def test_a_broken_macro_names_its_key(
    bodies: dict[str, str], changes: MacroChanges, key: str, words: str
) -> None:
    with pytest.raises(MacroError) as caught:
        Macro("m", "Title", bodies, changes)
    assert caught.value.key == key
    assert words in str(caught.value) and str(caught.value).startswith(f"{key}: ")


def test_a_title_is_one_line() -> None:
    with pytest.raises(MacroError, match=r"^title: must be one line"):
        Macro("m", "Two\nlines", {"en": "Hi"})


def test_changes_read_as_one_line() -> None:
    changes = MacroChanges(Status.PENDING, Priority.HIGH, ("vpn", "p2"), "me")
    assert changes.summary() == "status=pending priority=high tags=+vpn,+p2 assignee=me"
    assert MacroChanges().is_empty and not changes.is_empty


def _clock(kind: TargetKind, due: datetime | None, **extra: object) -> TargetStatus:
    fields: dict[str, object] = {
        "kind": kind,
        "state": ClockState.RUNNING,
        "target": timedelta(hours=8),
        "due_at": due,
        "at_risk_at": None,
        "remaining": timedelta(hours=1),
        "elapsed": timedelta(hours=7),
        "at_risk": False,
        "stopped_at": None,
        **extra,
    }
    return TargetStatus(**fields)  # type: ignore[arg-type]


def test_due_is_the_resolution_clocks_due_moment_in_utc() -> None:
    due = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    first = _clock(TargetKind.FIRST_RESPONSE, datetime(2026, 3, 4, 11, 0, tzinfo=UTC))
    assert due_text([first, _clock(TargetKind.RESOLUTION, due)]) == "2026-03-05 14:00 UTC"
    assert due_text([first]) == ""
    assert due_text([_clock(TargetKind.RESOLUTION, due, in_pause=True)]) == ""
    assert due_text([_clock(TargetKind.RESOLUTION, due, stopped_at=due)]) == ""
