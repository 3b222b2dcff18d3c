"""The translation catalogues: extract, merge, compile, check.

    .venv/bin/python scripts/i18n.py extract   # marked strings → each .po (new ones empty)
    .venv/bin/python scripts/i18n.py compile   # each .po → .mo beside it
    .venv/bin/python scripts/i18n.py check     # what is untranslated; exit 1 if anything

Marked strings are the literal first arguments of `_()`, `N_()` and `ngettext()` in
src/helpdesk_tui (read with `ast`, never imported), and the mail templates' files.
A .po keeps its translations across extracts; a string no longer in the source is
dropped. No gettext tools are needed: the .mo writer below is the GNU format.
"""

from __future__ import annotations

import ast
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "helpdesk_tui"
TEMPLATES = PACKAGE / "mail" / "templates"
LOCALE = PACKAGE / "locale"
DOMAIN = "helpdesk_tui"
LANGUAGES = ("sv", "pt")
MARKERS = {"_": 1, "N_": 1, "ngettext": 2}


@dataclass
class Entry:
    msgid: str
    plural: str | None = None
    where: list[str] = field(default_factory=list)
    msgstr: list[str] = field(default_factory=list)


def extract() -> dict[str, Entry]:
    """Every marked string in the package, in source order, with where it is."""
    found: dict[str, Entry] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            count = MARKERS.get(node.func.id)
            if count is None or len(node.args) < count:
                continue
            texts = [a.value for a in node.args[:count] if isinstance(a, ast.Constant)]
            if len(texts) != count or not all(isinstance(t, str) for t in texts):
                raise SystemExit(
                    f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.id}() needs string "
                    "literals: a computed string cannot be translated ahead of time"
                )
            entry = found.setdefault(texts[0], Entry(texts[0], texts[1] if count == 2 else None))
            entry.where.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    for path in sorted(TEMPLATES.glob("*.txt")):
        # The whole file is one msgid: mail/templates.py looks it up as it was read.
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        found.setdefault(text, Entry(text)).where.append(str(path.relative_to(ROOT)))
    return found


_PLACEHOLDER = re.compile(r"\$(?:\$|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\})", re.IGNORECASE)
_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def fields(text: str) -> list[str]:
    """The `$placeholders` and `{format}` fields of `text`, sorted, with repeats."""
    found = [m.group(1) or m.group(2) for m in _PLACEHOLDER.finditer(text)]
    names = [f"${name}" for name in found if name]
    rest = _PLACEHOLDER.sub("", text).replace("{{", "").replace("}}", "")
    names += [f"{{{name}}}" for name in _FIELD.findall(rest)]
    return sorted(names)


def mismatched() -> dict[str, list[tuple[str, str]]]:
    """Per language, the translations whose fields differ from their msgid's."""
    bad: dict[str, list[tuple[str, str]]] = {}
    for language in LANGUAGES:
        path = po_path(language)
        _, entries = read_po(path) if path.exists() else ("", {})
        bad[language] = []
        for entry in entries.values():
            wanted = fields(entry.msgid)
            wanted_plural = fields(entry.plural) if entry.plural is not None else wanted
            for index, text in enumerate(entry.msgstr):
                if not text:
                    continue
                # A plural's singular form may leave the count out ("one ticket").
                expected = wanted if index == 0 else wanted_plural
                got = fields(text)
                if got != expected and not (
                    entry.plural is not None and set(got) <= set(wanted_plural)
                ):
                    bad[language].append((entry.msgid, text))
    return bad


# -- .po reading and writing -----------------------------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text) if text else ""


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    if len(lines) == 1:
        return f'"{lines[0]}"'
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{p}"' for p in parts)


def read_po(path: Path) -> tuple[str, dict[str, Entry]]:
    """The header's msgstr and the entries of a .po file (ours: no fuzzy, no context)."""
    entries: dict[str, Entry] = {}
    header = ""
    current: Entry | None = None
    key: str | None = None
    index = 0

    def finish() -> None:
        nonlocal header
        if current is None:
            return
        if current.msgid == "":
            header = current.msgstr[0] if current.msgstr else ""
        else:
            entries[current.msgid] = current

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line and current is not None:
                finish()
                current, key = None, None
            continue
        if line.startswith("msgid_plural "):
            assert current is not None
            current.plural, key = _unquote(line[13:]), "plural"
        elif line.startswith("msgid "):
            current, key = Entry(_unquote(line[6:])), "msgid"
        elif line.startswith("msgstr["):
            assert current is not None
            index = int(line[7 : line.index("]")])
            current.msgstr.append(_unquote(line[line.index("]") + 2 :]))
            key = "msgstr"
        elif line.startswith("msgstr "):
            assert current is not None
            current.msgstr, key, index = [_unquote(line[7:])], "msgstr", 0
        elif line.startswith('"') and current is not None:
            more = _unquote(line)
            if key == "msgid":
                current.msgid += more
            elif key == "plural":
                current.plural = (current.plural or "") + more
            else:
                current.msgstr[index] += more
    finish()
    return header, entries


def write_po(path: Path, header: str, entries: list[Entry]) -> None:
    out = [f'msgid ""\nmsgstr {_quote(header)}\n']
    for entry in entries:
        where = "\n".join(f"#: {w}" for w in entry.where[:3])
        block = [where] if where else []
        block.append(f"msgid {_quote(entry.msgid)}")
        if entry.plural is not None:
            block.append(f"msgid_plural {_quote(entry.plural)}")
            forms = entry.msgstr or ["", ""]
            block += [f"msgstr[{i}] {_quote(s)}" for i, s in enumerate(forms)]
        else:
            block.append(f"msgstr {_quote(entry.msgstr[0] if entry.msgstr else '')}")
        out.append("\n".join(block) + "\n")
    path.write_text("\n".join(out), encoding="utf-8")


def header_for(language: str) -> str:
    return (
        "Project-Id-Version: helpdesk-tui\n"
        f"Language: {language}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "Plural-Forms: nplurals=2; plural=(n != 1);\n"
    )


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# -- commands --------------------------------------------------------------------


def do_extract() -> None:
    source = extract()
    for language in LANGUAGES:
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        header, old = read_po(path) if path.exists() else (header_for(language), {})
        merged = []
        for msgid, entry in source.items():
            kept = old.get(msgid)
            entry.msgstr = kept.msgstr if kept else []
            merged.append(entry)
        write_po(path, header or header_for(language), merged)
        gone = len(set(old) - set(source))
        print(f"{path.relative_to(ROOT)}: {len(merged)} strings ({gone} no longer used)")


def mo_bytes(header: str, entries: dict[str, Entry]) -> bytes:
    """GNU .mo: a header, two tables of (length, offset), then the strings."""
    pairs = [("", header)]
    for entry in entries.values():
        if not any(entry.msgstr):
            continue
        if entry.plural is not None:
            pairs.append((f"{entry.msgid}\0{entry.plural}", "\0".join(entry.msgstr)))
        else:
            pairs.append((entry.msgid, entry.msgstr[0]))
    pairs.sort(key=lambda p: p[0].encode())
    ids = [k.encode() for k, _ in pairs]
    strs = [v.encode() for _, v in pairs]
    start = 7 * 4 + 16 * len(pairs)
    id_table, str_table, blob = [], [], b""
    for data in ids:
        id_table.append((len(data), start + len(blob)))
        blob += data + b"\0"
    for data in strs:
        str_table.append((len(data), start + len(blob)))
        blob += data + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, len(pairs), 28, 28 + 8 * len(pairs), 0, 0)
    tables = b"".join(struct.pack("<2I", *p) for p in id_table + str_table)
    return head + tables + blob


def do_compile() -> None:
    for language in LANGUAGES:
        path = po_path(language)
        header, entries = read_po(path)
        path.with_suffix(".mo").write_bytes(mo_bytes(header, entries))
        print(f"{path.with_suffix('.mo').relative_to(ROOT)}: compiled")


def untranslated() -> dict[str, list[str]]:
    """Per language, the marked strings with no translation (or missing from the .po)."""
    source = extract()
    missing: dict[str, list[str]] = {}
    for language in LANGUAGES:
        path = po_path(language)
        _, entries = read_po(path) if path.exists() else ("", {})
        missing[language] = [
            msgid
            for msgid in source
            if msgid not in entries or not all(s.strip() for s in entries[msgid].msgstr or [""])
        ]
    return missing


def do_check() -> int:
    bad = 0
    for language, msgids in untranslated().items():
        for msgid in msgids:
            print(f"{language}: untranslated: {msgid!r}")
        bad += len(msgids)
    for language, pairs in mismatched().items():
        for msgid, msgstr in pairs:
            print(f"{language}: placeholders differ: {msgid!r} → {msgstr!r}")
        bad += len(pairs)
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "extract":
        do_extract()
    elif command == "compile":
        do_compile()
    elif command == "check":
        return do_check()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
