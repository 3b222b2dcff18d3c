"""Copy the screens the docs show from the snapshot tests into docs/screenshots/.

    .venv/bin/python scripts/doc_screenshots.py

The docs' pictures are the snapshot tests' own SVGs (frozen clock, demo data), so they
show what the tests check; tests/test_docs.py fails when a copy differs from its
snapshot, and this script brings them back in line after a reviewed snapshot update.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "ui" / "__snapshots__" / "test_snapshots"
TARGET = ROOT / "docs" / "screenshots"

SHOWN = (
    "queue-120x40",
    "queue-80x24",
    "queue-filter-120x40",
    "ticket-conversation-120x40",
    "ticket-history-120x40",
    "ticket-customer-80x24",
    "ticket-links-80x24",
    "outage-update-80x24",
    "attachment-120x40",
    "reply-composer-120x40",
    "conflict-120x40",
    "escalations-120x40",
    "sla-board-120x40",
    "metrics-120x40",
    "new-ticket-120x40",
    "help-80x24",
    "palette-120x40",
)


def source(name: str) -> Path:
    return SNAPSHOTS / f"test_screen[{name}].svg"


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in SHOWN:
        shutil.copyfile(source(name), TARGET / f"{name}.svg")
        print(f"docs/screenshots/{name}.svg")


if __name__ == "__main__":
    main()
