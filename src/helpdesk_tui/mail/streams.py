"""A message as a stream of lines, and each part's body decoded as its lines go by: a
145 MB message costs a few lines of buffer, and an attachment goes straight into a file."""

from __future__ import annotations

import binascii
import hashlib
import io
import re
from pathlib import Path
from typing import BinaryIO

_CHUNK = 64 * 1024
"""The longest piece of a line read at once; a longer line comes in pieces."""
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(c for c in range(256) if c not in _BASE64_ALPHABET)


class Lines:
    """A binary stream as lines (a longer line in pieces), one line of look-back, and the
    content hash of everything read once `hashing` is on."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.pushed: tuple[bytes, bool] | None = None
        self.at_start = True
        self.digest = hashlib.sha256()
        self.hashing = False

    def next(self) -> tuple[bytes, bool]:
        """The next piece and whether it starts a line; b"" at the end."""
        if self.pushed is not None:
            again, self.pushed = self.pushed, None
            return again
        piece = self.stream.readline(_CHUNK)
        start, self.at_start = self.at_start, piece.endswith(b"\n")
        if self.hashing:
            self.digest.update(piece)
        return piece, start

    def push(self, piece: tuple[bytes, bool]) -> None:
        self.pushed = piece

    def start_hashing(self) -> None:
        self.hashing = True
        if self.pushed is not None:  # read before, but part of the body
            self.digest.update(self.pushed[0])


def boundary_hit(piece: bytes, start: bool, stack: list[bytes]) -> tuple[int, bool] | None:
    """Which boundary of `stack` this line is (innermost first), and whether it closes."""
    if not start or not piece.startswith(b"--") or not stack:
        return None
    line = piece.rstrip(b" \t\r\n")
    for index in range(len(stack) - 1, -1, -1):
        dashed = b"--" + stack[index]
        if line == dashed:
            return index, False
        if line == dashed + b"--":
            return index, True
    return None


class Sink:
    """Decoded bytes of one part: in memory up to `keep` bytes, else in a file; past
    `limit` only counted (the file is removed), as a too-large attachment is."""

    def __init__(self, path: Path, keep: int, limit: int) -> None:
        self.path, self.keep, self.limit = path, keep, limit
        self.memory: io.BytesIO | None = io.BytesIO()
        self.file: BinaryIO | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self._drop_file()
            return
        if self.memory is not None and self.size > self.keep:
            self.file = self.path.open("xb")
            self.file.write(self.memory.getvalue())
            self.memory = None
        if self.file is not None:
            self.file.write(data)
        elif self.memory is not None:
            self.memory.write(data)

    def _drop_file(self) -> None:
        self.memory = None
        if self.file is not None:
            self.file.close()
            self.file = None
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    @property
    def in_memory(self) -> bytes | None:
        return None if self.memory is None else self.memory.getvalue()

    @property
    def kept(self) -> bool:
        return self.size <= self.limit


class Decoder:
    """A Content-Transfer-Encoding undone line by line into a sink."""

    def __init__(self, encoding: str, sink: Sink) -> None:
        self.encoding = encoding if encoding in ("base64", "quoted-printable") else "identity"
        self.sink = sink
        self.pending = b""

    def feed(self, piece: bytes) -> None:
        if self.encoding == "identity":
            self.sink.write(piece)
        elif self.encoding == "quoted-printable":
            self.sink.write(binascii.a2b_qp(piece))
        else:
            self.pending += piece.translate(None, _NOT_BASE64)
            if len(self.pending) >= _CHUNK:
                self._base64(final=False)

    def close(self) -> None:
        if self.encoding == "base64":
            self._base64(final=True)
        self.sink.close()

    def _base64(self, final: bool) -> None:
        # Padding inside the data (parts glued together) ends a run: decode runs apart.
        runs = re.split(rb"(?<==)(?=[^=])", self.pending)
        last = runs.pop()
        cut = len(last) if final else len(last) - len(last) % 4
        if final and cut % 4:
            last += b"=" * (-cut % 4)
            cut = len(last)
        for run in [*runs, last[:cut]]:
            try:
                self.sink.write(binascii.a2b_base64(run))
            except binascii.Error:
                self.sink.write(run)  # not base64 after all: the text as it came
        self.pending = last[cut:]
