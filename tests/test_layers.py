"""The layer rules (pyproject.toml's import-linter contracts): imports only run down, and nothing
below the UI imports Textual."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
)


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter on the package under ``root`` (it reads the package from the folder it runs in)."""
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 2


def test_the_contracts_catch_an_arrow_that_runs_up(tmp_path: Path) -> None:
    shutil.copytree(REPO / "sortui", tmp_path / "sortui", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    bad = tmp_path / "sortui" / "store" / "uses_the_ui.py"
    bad.write_text("from sortui.widgets import safe\nimport textual\n", encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "sortui.store.uses_the_ui -> sortui.widgets.safe" in result.stdout
    assert "sortui.store.uses_the_ui -> textual" in result.stdout


def test_rows_queries_and_the_importer_do_without_sqlalchemy() -> None:
    """Only migrating a working copy loads SQLModel; the import's worker process never does."""
    code = (
        "import sortui.store.rows, sortui.store.queries, sortui.store.importer; import sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy','sqlmodel','pydantic')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
