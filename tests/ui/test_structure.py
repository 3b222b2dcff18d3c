"""The UI's modules import one way: screens and widgets reach the app through the small
interface of ui/context.py, never by importing ui/app.py, and no import in ui/ (type-only
and function-local ones included) closes a circle."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "src" / "helpdesk_tui" / "ui"
PACKAGE = "helpdesk_tui.ui"
APP = f"{PACKAGE}.app"
MAY_IMPORT_APP = {APP}
"""The app itself; the entry that builds it (cli/main.py) is outside ui/."""


def _module(path: Path) -> str:
    parts = path.relative_to(UI).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every module of ui/ that `path` imports, wherever the import statement stands."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # `from . import jobs` names a module, not an attribute.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m in modules}


def _graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in UI.rglob("*.py")}
    return {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}


def test_the_graph_sees_the_imports_it_checks() -> None:
    graph = _graph()
    # A probe that the parsing works: the app builds the queue, screens use the worker helper.
    assert f"{PACKAGE}.screens.queue" in graph[APP]
    assert f"{PACKAGE}.jobs" in graph[f"{PACKAGE}.screens.ticket"]


def test_no_ui_module_but_the_app_imports_the_app() -> None:
    graph = _graph()
    offenders = sorted(name for name, imports in graph.items() if APP in imports)
    assert set(offenders) <= MAY_IMPORT_APP, offenders


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of `graph`, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_ui_import_graph_has_no_circle() -> None:
    assert _cycle(_graph()) is None
