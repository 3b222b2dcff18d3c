"""Where each key of a TOML text is: tomllib returns values without positions, and a
config error is fixed faster when it names the line.

`key_lines` reads the text line by line as TOML lays it out: table headers (`[a.b]`,
`[[views]]`), then `key = value` lines in them (dotted and quoted keys included).
Multi-line strings and arrays are skipped over, so a line inside one is never taken for a
key. Keys inside inline tables (`alex = { tier = 2 }`) are not listed: `line_of` answers
with the line of the nearest key above them, which is the same line.
"""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]
"""A value's place in the parsed document: table and key names, and indexes in arrays of
tables (("views", 0, "name") for the first `[[views]]`' name)."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b"}
_ESCAPES |= {'"': '"', "\\": "\\"}


def is_bare_key(key: str) -> bool:
    """Whether `key` can be written without quotes."""
    return _BARE_KEY.fullmatch(key) is not None


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of `path`, else of its nearest enclosing key or table found in the text
    (a missing key is reported at its table's header); None when none is."""
    for end in range(len(path), 0, -1):
        number = lines.get(path[:end])
        if number is not None:
            return number
    return None


def key_lines(text: str) -> dict[KeyPath, int]:
    """Each table header and `key =` line of `text` → its line number, from 1. A text that
    is not valid TOML gives what could be read of it, never an error."""
    found: dict[KeyPath, int] = {}
    arrays: dict[tuple[str, ...], int] = {}
    """Each array of tables so far → the index of its last `[[...]]`."""
    table: KeyPath = ()
    value = _ValueScanner()
    # Only \n ends a line in TOML: str.splitlines would also split at \x0c or \u2028,
    # which may sit inside a string, and count lines the parser does not.
    for number, line in enumerate(text.split("\n"), 1):
        if value.is_open:
            value.feed(line, 0)
            continue
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            is_array = stripped.startswith("[[")
            keys, _end = _parse_key(stripped, 2 if is_array else 1)
            if keys is None:
                continue
            if is_array:
                arrays[tuple(keys)] = arrays.get(tuple(keys), -1) + 1
            table = _with_indexes(keys, arrays)
            found.setdefault(table, number)
            continue
        keys, end = _parse_key(stripped, 0)
        if keys is None or not stripped.startswith("=", end):
            continue
        for length in range(1, len(keys) + 1):  # `rt.timeout = 5` also places `rt`
            found.setdefault(table + tuple(keys[:length]), number)
        value.feed(stripped, end + 1)
    return found


def _with_indexes(keys: list[str], arrays: dict[tuple[str, ...], int]) -> KeyPath:
    """A header's path with the index of each array of tables it passes through:
    `[views.sort]` after the second `[[views]]` is ("views", 1, "sort")."""
    path: list[str | int] = []
    for length, key in enumerate(keys, 1):
        path.append(key)
        index = arrays.get(tuple(keys[:length]))
        if index is not None:
            path.append(index)
    return tuple(path)


def _parse_key(line: str, start: int) -> tuple[list[str] | None, int]:
    """The (dotted) key at `start` and the index of what follows it and its spaces."""
    keys: list[str] = []
    index = start
    while True:
        index = _skip_blanks(line, index)
        if line.startswith('"', index):
            key, index = _basic_string(line, index + 1)
        elif line.startswith("'", index):
            close = line.find("'", index + 1)
            key, index = (None, index) if close < 0 else (line[index + 1 : close], close + 1)
        else:
            bare = _BARE_KEY.match(line, index)
            key, index = (None, index) if bare is None else (bare.group(), bare.end())
        if key is None:
            return None, index
        keys.append(key)
        index = _skip_blanks(line, index)
        if not line.startswith(".", index):
            return keys, index
        index += 1


def _skip_blanks(line: str, index: int) -> int:
    while index < len(line) and line[index] in " \t":
        index += 1
    return index


def _basic_string(line: str, index: int) -> tuple[str | None, int]:
    """A "..." string's text, from just after its opening quote; None if it is broken."""
    text: list[str] = []
    while index < len(line):
        char = line[index]
        if char == '"':
            return "".join(text), index + 1
        if char != "\\":
            text.append(char)
            index += 1
            continue
        code = line[index + 1 : index + 2]
        if code in ("u", "U"):
            digits = 4 if code == "u" else 8
            try:
                text.append(chr(int(line[index + 2 : index + 2 + digits], 16)))
            except ValueError:
                return None, index
            index += 2 + digits
        elif code in _ESCAPES:
            text.append(_ESCAPES[code])
            index += 2
        else:
            return None, index
    return None, index


class _ValueScanner:
    """Follows a value over the lines it spans: open while a multi-line string or an
    array (or an inline table in one) has not closed yet."""

    def __init__(self) -> None:
        self.quote = ""
        """The delimiter of the multi-line string we are in (\"\"\" or '''), else ""."""
        self.depth = 0
        """How many [ and { are open."""

    @property
    def is_open(self) -> bool:
        return bool(self.quote) or self.depth > 0

    def feed(self, line: str, index: int) -> None:
        while index < len(line):
            if self.quote:
                index = self._in_multiline(line, index)
                continue
            char = line[index]
            if char == "#":
                return
            if char in "\"'":
                if line.startswith(char * 3, index):
                    self.quote = char * 3
                    index += 3
                else:
                    index = self._past_string(line, index)
                continue
            if char in "[{":
                self.depth += 1
            elif char in "]}":
                self.depth = max(0, self.depth - 1)
            index += 1

    def _in_multiline(self, line: str, index: int) -> int:
        if self.quote == '"""' and line.startswith("\\", index):
            return index + 2
        if line.startswith(self.quote, index):
            index += 3
            while line.startswith(self.quote[0], index):  # up to two quotes end the text
                index += 1
            self.quote = ""
            return index
        return index + 1

    @staticmethod
    def _past_string(line: str, index: int) -> int:
        """The index after a one-line string that opens at `index`."""
        quote = line[index]
        index += 1
        while index < len(line):
            if quote == '"' and line[index] == "\\":
                index += 2
                continue
            if line[index] == quote:
                return index + 1
            index += 1
        return index
