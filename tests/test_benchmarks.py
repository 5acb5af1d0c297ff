"""The benchmark harness runs end to end on a small scale (slow: not run in CI)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def _load(name: str, file: str) -> ModuleType:
    """A benchmark script of benchmarks/ as module ``name`` (in sys.modules: dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(name, RUN_PY.parent / file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_harness_measures_every_core_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = _load("bench_run", "run.py")
    out = tmp_path / "values.json"
    figures = "import,floor,phases,size,search,children"
    assert module.main(["--entities", "3000", "--cache", str(tmp_path), "--figures", figures, "--json", str(out)]) == 0
    values = json.loads(out.read_text())["3000"]
    # Figures are measured, not judged here: each is there and is a measurement (budgets: benchmarks/).
    assert values["import_s"] > 0 and values["import_rss_mb"] > 0
    assert values["validation_problems"] == 0
    assert values["search_p95_ms"] > 0 and values["children_top_width"] > 300
    assert "| import / floor |" in capsys.readouterr().out


@pytest.mark.slow
def test_load_bench_runs_and_checks_consistency(capsys: pytest.CaptureFixture[str]) -> None:
    module = _load("load_bench", "load_bench.py")
    assert module.main(["--editors", "3", "--changesets", "4", "--databases", "sqlite", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "| sqlite | 1 | uncontended | 3 | 12 | 0 |" in out and "| 0 | ok |" in out


@pytest.mark.slow
def test_startup_bench_times_each_command_class(sor_wc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = _load("startup_bench", "startup_bench.py")
    assert module.main(["--db", str(sor_wc), "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert '| bare python -c "import sqlite3" |' in out and "| app: first usable screen |" in out


@pytest.mark.slow
def test_formats_bench_times_every_format_in_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(RUN_PY.parent))
    module = _load("formats_bench", "formats_bench.py")
    monkeypatch.setattr(module, "CACHE", tmp_path)
    assert module.main(["--scales", "3000", "--runs", "2"]) == 0
    out = capsys.readouterr().out
    for name in ("sor.xml", "sor.zip", "sor.csv", "SorEntity_daily.csv", "floor", "sor.xml / floor"):
        assert f"| {name} |" in out
    assert "(med.)" in out
