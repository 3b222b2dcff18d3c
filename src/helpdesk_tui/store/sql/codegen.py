"""Writes tables.py, the Core tables the store runs on, from the SQLModel declaration.

    .venv/bin/python -m helpdesk_tui.store.sql.codegen

Run it after changing models.py (tests/store/test_tables_generated.py fails until you
do). It renders only what the declaration uses today (the column types of
column_types.py and SQLAlchemy's Text, Integer, BigInteger and Boolean; keys, foreign
keys, identity, indexes, SQLite table options) and refuses anything else, so a new kind
of column is taught here instead of being dropped from the store's tables unnoticed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from .column_types import UtcTimestamp

HEADER = '''"""The SQL store's tables as SQLAlchemy Core. GENERATED from models.py: do not edit.

    .venv/bin/python -m helpdesk_tui.store.sql.codegen

The declaration, and why the store runs on a generated copy of it, is in models.py.
"""

from __future__ import annotations

import sqlalchemy as sa

from .column_types import UtcTimestamp, id_type

metadata = sa.MetaData()
'''

_PLAIN_TYPES: dict[type[TypeEngine[Any]], str] = {
    sa.Text: "sa.Text()",
    sa.Integer: "sa.Integer()",
    sa.BigInteger: "sa.BigInteger()",
    sa.Boolean: "sa.Boolean()",
}


LINE_LENGTH = 100
"""ruff's, so that the generated file is already formatted."""


class CodegenError(ValueError):
    """The declaration uses something this generator cannot render (yet)."""


def _literal(text: str) -> str:
    """`text` as ruff formats a string literal: in double quotes unless it holds some."""
    return json.dumps(text) if '"' not in text and text.isascii() else repr(text)


def _quote(name: str) -> str:
    if not name.replace("_", "").replace(".", "").isalnum():
        raise CodegenError(f"cannot render the name {name!r}")
    return f'"{name}"'


def _call(function: str, parts: list[str], indent: int) -> str:
    """A call as ruff formats it: on one line when it fits, else one argument a line."""
    one_line = f"{function}({', '.join(parts)})"
    if indent + len(one_line) + 1 <= LINE_LENGTH:
        return one_line
    inner = " " * (indent + 4)
    lines = [f"{function}("] + [f"{inner}{part}," for part in parts] + [" " * indent + ")"]
    return "\n".join(lines)


def _type(column: sa.Column[object]) -> str:
    kind = column.type
    variants = dict(getattr(kind, "_variant_mapping", {}))
    if isinstance(kind, UtcTimestamp):
        return "UtcTimestamp()"
    if variants:
        sqlite = variants.get("sqlite")
        if type(kind) is sa.BigInteger and len(variants) == 1 and type(sqlite) is sa.Integer:
            return "id_type()"
        raise CodegenError(f"{column}: cannot render the variant type {kind!r}")
    rendered = _PLAIN_TYPES.get(type(kind))
    if rendered is None:
        raise CodegenError(f"{column}: cannot render the type {kind!r}")
    return rendered


def _column(column: sa.Column[object]) -> str:
    parts = [_quote(column.name), _type(column)]
    for key in column.foreign_keys:
        ondelete = f", ondelete={_quote(key.ondelete)}" if key.ondelete else ""
        parts.append(f"sa.ForeignKey({_quote(key.target_fullname)}{ondelete})")
    if column.identity is not None:
        if column.identity.start is not None or column.identity.always:
            raise CodegenError(f"{column}: cannot render identity options")
        parts.append("sa.Identity()")
    elif column.server_default is not None or column.default is not None:
        raise CodegenError(f"{column}: cannot render a default")
    if column.primary_key:
        parts.append("primary_key=True")
    parts.append(f"nullable={column.nullable!r}")
    if column.key != column.name or column.unique or column.index or column.comment:
        raise CodegenError(f"{column}: cannot render key, unique, index or comment options")
    return _call("sa.Column", parts, 4)


_PARTIAL = ("sqlite_where", "postgresql_where")
"""The dialect options an index may have: a partial index's condition, as text, the same
on both databases."""
WHERE = "where"
"""The key of a partial index's condition in the generated index's `info`.

The declaration names it per dialect (`postgresql_where`, `sqlite_where`), as the
migrations do, which create the indexes. The generated tables keep it in `info` instead:
naming a dialect's option makes SQLAlchemy import that dialect, and PostgreSQL's took 35 ms
of every launch on a SQLite store (the launch helper's 100 ms to open it and read the first
page, measured with cProfile). Nothing compiles these tables' indexes to DDL, and alembic's
comparison of models and schema does not compare conditions."""


def _index(index: sa.Index) -> str:
    options = dict(index.dialect_kwargs)
    clauses = [options.pop(name) for name in _PARTIAL if name in options]
    given = {str(clause) for clause in clauses} | (
        {str(index.info[WHERE])} if index.info else set()
    )
    if len(given) > 1 or not all(isinstance(clause, sa.TextClause) for clause in clauses):
        raise CodegenError(f"{index.name}: a partial index's condition must be one text")
    if len(index.columns) != len(index.expressions) or options or not index.name:
        raise CodegenError(f"{index.name}: cannot render expressions or dialect options")
    parts = [_quote(str(index.name))] + [_quote(column.name) for column in index.columns]
    if index.unique:
        parts.append("unique=True")
    if given:
        # A condition is SQL, not a name: a Python string literal in ruff's double quotes.
        parts.append(f"info={{{_quote(WHERE)}: {_literal(given.pop())}}}")
    return _call("sa.Index", parts, 4)


def _table(table: sa.Table) -> str:
    variable = table.name.removeprefix("ticket_")
    lines = [f"{variable} = sa.Table(", f"    {_quote(table.name)},", "    metadata,"]
    lines += [f"    {_column(column)}," for column in table.columns]
    lines += [
        f"    {_index(index)}," for index in sorted(table.indexes, key=lambda i: i.name or "")
    ]
    lines += [f"    {option}={value!r}," for option, value in sorted(table.dialect_kwargs.items())]
    lines.append(")")
    return "\n".join(lines)


def render(metadata: sa.MetaData) -> str:
    """The source of tables.py for these tables."""
    tables = "\n\n".join(_table(table) for table in metadata.tables.values())
    return f"{HEADER}\n{tables}\n"


def target() -> Path:
    return Path(__file__).with_name("tables.py")


def main() -> int:
    from .models import metadata

    try:
        source = render(metadata)
    except CodegenError as exc:
        print(f"codegen: {exc}", file=sys.stderr)
        return 2
    target().write_text(source, encoding="utf-8")
    print(f"wrote {target()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
