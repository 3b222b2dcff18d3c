"""HTML mail as plain text: html.parser, no scripts, no styles, no remote content."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_HEADINGS = {f"h{n}" for n in range(1, 7)}
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "table", "ul", "ol", "hr", "pre"} | _HEADINGS)
_KEPT = "\ue000"  # a private-use character: never in text worth keeping
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.out.append("\n")
            self.pre += tag == "pre"
            if tag == "li":
                self.out.append("- ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[image: {alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.pre -= tag == "pre" and self.pre > 0
            self.out.append("\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.out.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        # Preformatted spaces are kept through the line trimming below as a stand-in.
        self.out.append(data.replace(" ", _KEPT) if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: paragraphs as lines, links as <url>, no markup."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [line.strip(" \t") for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines).replace(_KEPT, " ")
    return re.sub(r"\n{3,}", "\n\n", text).strip()
