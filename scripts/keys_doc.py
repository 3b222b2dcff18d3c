"""Write docs/keys.md from the app's own bindings: `python scripts/keys_doc.py`.

tests/ui/test_keys.py fails when the page and the bindings drift apart."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding

from helpdesk_tui.ui.screens.help import binding_sections

HEAD = """# Keys

Every action works from the keyboard. Press `?` (or F1) in the app for this list,
and `ctrl+p` for the command palette, which reaches every action by name.

Any key can be remapped in the config file by the binding's id:

```toml
[keys]
"queue.take" = "T"
"table.down" = "down,j,ctrl+n"
```
"""


def render() -> str:
    lines = [HEAD]
    for title, bindings in binding_sections():
        lines += [f"## {title}", "", "| keys | action | id |", "| --- | --- | --- |"]
        for binding in bindings:
            if isinstance(binding, Binding):
                keys = " / ".join(f"`{k}`" for k in binding.key.split(","))
                lines.append(
                    f"| {keys} | {binding.description or binding.action} | `{binding.id}` |"
                )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    Path(__file__).resolve().parents[1].joinpath("docs", "keys.md").write_text(render())
