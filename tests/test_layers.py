"""The layers below the UI never import Textual (design.md, "Layers"); most of the store does without SQLModel."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import sortui

PACKAGE = Path(sortui.__file__).resolve().parent
LOWER_LAYERS = ("domain", "formats", "store", "sync", "server", "generator")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _layer_files() -> list[Path]:
    files = [p for layer in LOWER_LAYERS for p in (PACKAGE / layer).rglob("*.py")]
    files.append(PACKAGE / "describe.py")
    return files


@pytest.mark.parametrize("path", _layer_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_lower_layers_do_not_import_textual(path: Path) -> None:
    bad = {name for name in _imports(path) if name == "textual" or name.startswith("textual.")}
    assert not bad, f"{path} imports {bad}"


def test_there_are_files_to_check() -> None:
    assert len(_layer_files()) > 10


def test_rows_queries_and_the_importer_do_without_sqlalchemy() -> None:
    """Only creating or migrating a working copy loads SQLModel; the import's worker process never does."""
    code = (
        "import sortui.store.rows, sortui.store.queries, sortui.store.importer; import sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy','sqlmodel','pydantic')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
