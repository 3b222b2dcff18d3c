"""The rings hold: every module sits in a ring folder that the import contracts name, and
the contracts bite (a forbidden import added to a copy of the tree fails lint-imports)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "helpdesk_tui"
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contract(name: str) -> dict[str, object]:
    return next(c for c in CONTRACTS if c["name"] == name)


def _rings() -> list[str]:
    layers = _contract("rings")["layers"]
    assert isinstance(layers, list)
    return [ring.strip() for layer in layers for ring in layer.split("|")]


def test_every_module_sits_in_a_ring_folder_the_contracts_name() -> None:
    rings = {ring.removeprefix("helpdesk_tui.") for ring in _rings()}
    loose = sorted(
        p.name
        for p in PACKAGE.glob("*.py")
        if p.name not in ("__init__.py", "__main__.py")  # the package and its `-m` entry
    )
    assert loose == [], "modules outside any ring folder"
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders == rings, "a package folder that is not a ring, or a ring with no folder"


def test_every_ring_but_the_ui_is_kept_from_textual() -> None:
    guarded = set(_contract("only the UI imports Textual")["source_modules"])  # type: ignore[arg-type]
    assert guarded == set(_rings()) - {"helpdesk_tui.ui"}


def _lint_copy(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    """lint-imports over a copy of the tree in which `module` gained `line`."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "helpdesk_tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = src / "helpdesk_tui" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tmp_path / "pyproject.toml")],
        cwd=tmp_path,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("settings/config.py", "import textual  # noqa", "only the UI imports Textual BROKEN"),
        ("service/helpdesk.py", "import textual.app  # noqa", "only the UI imports Textual BROKEN"),
        ("domain/model.py", "from ..store import base  # noqa", "rings BROKEN"),
        ("store/base.py", "from ..service import helpdesk  # noqa", "rings BROKEN"),
        ("domain/sla/evaluation.py", "import sqlalchemy  # noqa", "domain is pure BROKEN"),
    ],
)
def test_a_forbidden_import_fails_the_contracts(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    done = _lint_copy(tmp_path, module, line)
    assert done.returncode != 0, done.stdout[-2000:]
    assert broken in done.stdout, done.stdout[-2000:]


def test_the_tree_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    done = _lint_copy(tmp_path, "__init__.py", "")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout


def _sizes() -> list[tuple[str, str, int]]:
    """(kind, where, lines) of every file, class and function of the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "versions" in path.parts:  # generated migrations
            continue
        text = path.read_text()
        where = str(path.relative_to(PACKAGE))
        found.append(("file", where, len(text.splitlines())))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                found.append((kind, f"{where}:{node.name}", size))
    return found


LIMITS = {"file": 800, "class": 400, "function": 80}


def test_no_file_class_or_function_is_over_its_limit() -> None:
    over = [
        f"{kind} {where}: {size} lines" for kind, where, size in _sizes() if size > LIMITS[kind]
    ]
    assert over == []


def test_no_service_method_hands_out_the_store() -> None:
    # One way in: the UI, the command line and mail get tickets, tokens, feeds and an
    # outbox from the service, never the repository to go around it.
    import inspect
    import typing

    from helpdesk_tui.domain import triage
    from helpdesk_tui.domain.triage.model import TriageModel
    from helpdesk_tui.service import HelpdeskService
    from helpdesk_tui.store.base import MailQueue, TicketRepository

    # Triage's types are imported for annotations only (service/triage.py says why).
    typed_only = {name: getattr(triage, name) for name in triage.__all__}
    typed_only = {name: kind for name, kind in typed_only.items() if isinstance(kind, type)}
    typed_only["TriageModel"] = TriageModel
    store_types = (TicketRepository, MailQueue)
    for name, member in inspect.getmembers(HelpdeskService):
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        if not callable(target):
            continue
        returned = typing.get_type_hints(target, localns=typed_only).get("return")
        kinds = typing.get_args(returned) or (returned,)
        assert not any(kind in store_types for kind in kinds), f"HelpdeskService.{name}"
    assert "repo" not in vars(HelpdeskService) and not hasattr(HelpdeskService, "repo")
