"""The docs stay true to the code: their pictures are the snapshot tests' own, and
every link between the documents leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scripts.doc_screenshots import SHOWN, source

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.mark.parametrize("name", SHOWN)
def test_each_screenshot_is_its_snapshot(name: str) -> None:
    snapshot = source(name)
    copy = DOCS / "screenshots" / f"{name}.svg"
    assert copy.read_bytes() == snapshot.read_bytes(), (
        f"docs/screenshots/{name}.svg differs from its snapshot: "
        "run scripts/doc_screenshots.py after reviewing the snapshot change"
    )


@pytest.mark.parametrize(
    "page", sorted([*DOCS.glob("*.md"), ROOT / "README.md"]), ids=lambda p: p.name
)
def test_local_links_lead_somewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
