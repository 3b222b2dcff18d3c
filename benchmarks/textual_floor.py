"""The floor under bench_tui's launch figure: a bare Textual app on this machine.

A header, a table of ten rows and a footer, drawn from memory: no store, no screens of
ours. bench_tui launches it the same way as the real app, in the same run, so the launch
figure can be read against what Textual itself costs here at that moment.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header


class Floor(App[None]):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Subject")
        table.add_rows((f"HD-{n}", f"ticket {n}") for n in range(1, 11))


if __name__ == "__main__":
    Floor().run()
