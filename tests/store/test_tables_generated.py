"""The store runs on tables.py, generated from the SQLModel declaration: the two agree."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from helpdesk_tui.store.sql import SqlRepository, codegen, models, tables


def test_the_generated_tables_are_the_declared_ones() -> None:
    # Stale when models.py changed and codegen was not run.
    assert codegen.target().read_text(encoding="utf-8") == codegen.render(models.metadata), (
        "tables.py is out of date: run .venv/bin/python -m helpdesk_tui.store.sql.codegen"
    )


def test_the_tables_built_from_the_generated_file_render_as_the_declaration() -> None:
    # The objects the store runs on, not only the text: same columns, types, keys, indexes.
    assert codegen.render(tables.metadata) == codegen.render(models.metadata)
    assert list(tables.metadata.tables) == list(models.metadata.tables)


def test_the_generator_refuses_what_it_cannot_render() -> None:
    odd = sa.MetaData()
    sa.Table("odd", odd, sa.Column("id", sa.Integer, primary_key=True, server_default="1"))
    with pytest.raises(codegen.CodegenError, match="default"):
        codegen.render(odd)
    odd = sa.MetaData()
    sa.Table("odd", odd, sa.Column("amount", sa.Numeric(10, 2)))
    with pytest.raises(codegen.CodegenError, match="cannot render the type"):
        codegen.render(odd)


def test_opening_the_sql_store_does_not_import_sqlmodel_pydantic_or_postgresql(tmp_path) -> None:
    # The launch helper opens the store and reads the first page on the launch's longer
    # leg; migrating a new store (once) may import the models, a later launch must not.
    # Nor may a SQLite store's launch import PostgreSQL's dialect (a partial index's
    # condition named for it did: codegen.WHERE).
    url = f"sqlite:///{tmp_path / 'store.db'}"
    SqlRepository.open(url).close()
    code = (
        "import sys\n"
        "from helpdesk_tui.store.base import Query\n"
        "from helpdesk_tui.store.sql import SqlRepository\n"
        f"repo = SqlRepository.open({url!r})\n"
        "repo.query(Query().page(0, 100))\n"
        "heavy = ('sqlmodel', 'pydantic', 'sqlalchemy.dialects.postgresql')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_partial_index_has_one_condition() -> None:
    # The generated index keeps the condition once (codegen.WHERE); two dialects that
    # disagree cannot be rendered as one.
    odd = sa.MetaData()
    table = sa.Table("odd", odd, sa.Column("a", sa.Integer), sa.Column("b", sa.Integer))
    sa.Index("ix_odd", table.c.a, postgresql_where=sa.text("a > 1"), sqlite_where=sa.text("b > 1"))
    with pytest.raises(codegen.CodegenError, match="one text"):
        codegen.render(odd)

    def conditions(metadata: sa.MetaData, read: Callable[[sa.Index], object]) -> dict[str, str]:
        found = {i.name: read(i) for t in metadata.tables.values() for i in t.indexes}
        return {str(name): str(where) for name, where in found.items() if where is not None}

    kept = conditions(tables.metadata, lambda index: index.info.get(codegen.WHERE))
    assert kept == conditions(models.metadata, lambda i: i.dialect_kwargs.get("sqlite_where"))
    assert kept == conditions(models.metadata, lambda i: i.dialect_kwargs.get("postgresql_where"))
    assert kept["ix_tickets_unassigned"] == "assignee IS NULL"
