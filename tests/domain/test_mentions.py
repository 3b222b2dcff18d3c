"""Which @names a note calls in: agents' names after a space, a line start, "(" or a
comma; never an e-mail address, nor markup a customer pasted ("[@click=...]")."""

from __future__ import annotations

from helpdesk_tui.domain.mentions import current_word, mentioned


def test_names_are_found_once_in_order() -> None:
    text = "@dmitri can you check? cc ann@example.com (@elin),@farah. And @dmitri again."
    assert mentioned(text) == ("dmitri", "elin", "farah")


def test_markup_and_addresses_mention_nobody() -> None:
    assert mentioned("[@click=app.quit]q[/] [link=x]@[/link] mail@host.org") == ()


def test_the_name_being_typed_is_found_for_completion() -> None:
    assert current_word("please check, @dm", 17) == "dm"
    assert current_word("mail a@b", 8) is None
    assert current_word("@", 1) == ""
