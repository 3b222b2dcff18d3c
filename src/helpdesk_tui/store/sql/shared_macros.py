"""Macros kept in the store (migration 0008): read by every agent, changed by leads."""

from __future__ import annotations

import sqlalchemy as sa

from ...domain.macros import SharedMacro
from ..base import AdminRecord, InvalidInput
from ..validation import check_str, check_ts
from .tables import shared_macros
from .transactions import SqlTransactions

FORMATS = ("toml", "md")


class SharedMacroStore(SqlTransactions):
    def shared_macros(self) -> list[SharedMacro]:
        """Every macro kept in the store: everybody's first, then each team's, by name."""
        c = shared_macros.c
        with self._read_transaction() as conn:
            rows = conn.execute(
                sa.select(c.name, c.team, c.format, c.text, c.updated_by, c.updated_at).order_by(
                    c.team, c.name
                )
            ).all()
        return [SharedMacro(*row) for row in rows]

    def save_shared_macro(self, macro: SharedMacro, record: AdminRecord) -> None:
        """Keep `macro` (replacing the one of its name and team), audited with `record`;
        a PostgreSQL login that is no lead's or admin's is refused by the database."""
        if macro.format not in FORMATS:
            raise InvalidInput(f"a shared macro is TOML or Markdown, not {macro.format!r:.20}")
        values = {
            "name": check_str("name", macro.name),
            "team": check_str("team", macro.team),
            "format": macro.format,
            "text": check_str("text", macro.text),
            "updated_by": check_str("actor", record.actor),
            "updated_at": check_ts("at", record.at),
        }
        c = shared_macros.c
        with self._write_transaction() as conn:
            conn.execute(
                sa.delete(shared_macros).where(c.name == values["name"], c.team == values["team"])
            )
            conn.execute(sa.insert(shared_macros).values(values))
            self._record(conn, record)
            self._bump(conn)

    def remove_shared_macro(self, name: str, team: str, record: AdminRecord) -> bool:
        """Remove the macro of this name and team; whether there was one."""
        c = shared_macros.c
        with self._write_transaction() as conn:
            gone = conn.execute(
                sa.delete(shared_macros).where(c.name == name, c.team == team)
            ).rowcount
            if gone:
                self._record(conn, record)
                self._bump(conn)
        return bool(gone)
