"""The filter language: quoted values, substrings in any case, and no silent searches."""

from __future__ import annotations

import pytest

from helpdesk_tui.service.views import FilterError, parse_filter, search_query
from helpdesk_tui.store.base import Query
from tests.conftest import FROZEN


def read(text: str) -> Query:
    return parse_filter(text, "me", FROZEN)


def test_organization_and_requester_match_a_quoted_or_bare_part_in_any_case() -> None:
    assert read('org:"Acme Retail"').organization_like == "Acme Retail"
    assert read("org:acme").organization_like == "acme"
    assert read("organization:ACME status:open").organization_like == "ACME"
    assert read("requester:ada").requester_like == "ada"
    assert read("from:bo@globex.test").requester_like == "bo@globex.test"
    # The access scope is the service's alone: a filter never sets it.
    assert read("org:acme").organizations is None


def test_an_address_finds_its_requester_and_quoted_text_is_searched_as_it_is() -> None:
    query = read("ada@example.com printer")
    assert (query.requester_like, query.text) == ("ada@example.com", "printer")
    assert read('"error:404" timeout').text == "error:404 timeout"
    assert read("see https://status.example.com").text == "see https://status.example.com"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("stauts:open", "stauts: is no field; did you mean status:?"),
        ("prority:p1", "prority: is no field; did you mean priority:?"),
        ("colour:red", "colour: is no field (fields:"),
        ('org:"Acme Retail', 'org:"Acme Retail: a quote is not closed'),
        ('"never closed', '"never closed: a quote is not closed'),
        ("org:", "org: needs a value"),
        ('org:""', "org: needs a value"),
        ("priority:p1 priority:p2", "priority: given twice (with priority:)"),
        ("requester:ada from:bo@x.test", "from: given twice (with requester:)"),
    ],
)
def test_a_wrong_filter_is_one_line_naming_what_is_wrong(text: str, said: str) -> None:
    with pytest.raises(FilterError) as refused:
        read(text)
    assert str(refused.value).startswith(said)
    assert "\n" not in str(refused.value)


def test_an_empty_filter_is_everything() -> None:
    assert read("") == read("   ")
    assert read("").text is None and read("").organization_like is None


def test_the_search_box_finds_a_customer_by_address() -> None:
    base = read("status:open")
    found = search_query("  ada@example.com ", base)
    assert (found.requester_like, found.text, found.statuses) == (
        "ada@example.com",
        None,
        base.statuses,
    )
    assert search_query("printer jams", base).text == "printer jams"
    assert search_query("   ", base).text is None
