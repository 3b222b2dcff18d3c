"""Reply and note drafts, saved as they are typed, so a dropped SSH session loses nothing.

One small file per ticket and kind, replaced atomically (write, then rename) so a kill
mid-write leaves the previous draft, never half of one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..settings.private import FILE_MODE, private_dir


class Drafts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str, kind: str) -> Path:
        """The draft's file (an editor opens it in place)."""
        safe_key = re.sub(r"[^A-Za-z0-9-]", "_", key)
        return self.folder / f"{safe_key}.{kind}.txt"

    def load(self, key: str, kind: str) -> str | None:
        try:
            text = self.path(key, kind).read_text(encoding="utf-8")
        except OSError:
            return None
        return text or None

    def save(self, key: str, kind: str, text: str) -> None:
        if not text.strip():
            self.discard(key, kind)
            return
        path = self.path(key, kind)
        private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)

    def for_editor(self, key: str, kind: str, text: str) -> Path:
        """The draft's file with `text` in it, made (folder and all) even when empty: an
        editor is handed a file that exists, in a folder it may write to."""
        self.save(key, kind, text)
        path = self.path(key, kind)
        if not path.exists():
            private_dir(path.parent)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        return path

    def discard(self, key: str, kind: str) -> None:
        self.path(key, kind).unlink(missing_ok=True)

    def pending(self, key: str) -> list[str]:
        """Kinds ("reply", "note") with a saved draft for `key`."""
        return [kind for kind in ("reply", "note") if self.path(key, kind).exists()]
