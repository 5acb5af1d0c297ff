"""Shared fixtures: the real sample files, a throw-away working copy, and running the CLI in-process."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("sortui") is None:  # plain `pytest` from the checkout, package not installed
    sys.path.insert(0, str(REPO))

from sortui import cli as sortui_cli  # noqa: E402
from sortui.store.importer import import_files  # noqa: E402

# CI has shared/ beside the checkout: ../shared/samples from the repository root.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
SOR_SAMPLES = ("ONE_SYGEHUS.xml", "ONE_APOTEK.xml", "ONE_PRAKSIS.xml")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not (SAMPLES / "sor").is_dir():
        pytest.skip(f"sample files not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def sor_samples(samples_dir: Path) -> list[Path]:
    """The three real SOR XML extracts."""
    return [samples_dir / "sor" / name for name in SOR_SAMPLES]


@pytest.fixture
def wc(tmp_path: Path) -> Path:
    """Path of a working copy (not created yet) in a folder of its own."""
    folder = tmp_path / "wc"
    folder.mkdir()
    return folder / "working-copy.sqlite"


@pytest.fixture
def sor_wc(wc: Path, sor_samples: list[Path]) -> Path:
    """A working copy with the three SOR XML samples imported."""
    import_files(wc, sor_samples)
    return wc


@pytest.fixture(scope="session")
def _full_template(tmp_path_factory: pytest.TempPathFactory, sor_samples: list[Path], samples_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("template") / "full.sqlite"
    import_files(path, [*sor_samples, samples_dir / "sor" / "SHAKCOMPLETE.TXT"])
    return path


@pytest.fixture
def full_wc(wc: Path, _full_template: Path) -> Path:
    """A working copy with the three SOR samples and SHAKCOMPLETE.TXT (a copy of a session template)."""
    shutil.copyfile(_full_template, wc)
    return wc


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], wc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """``run_cli("show", "019062", "--json")`` runs ``sortui --db WC ...`` in-process; ``db=None`` leaves --db out."""
    monkeypatch.setenv("SORTUI_DB", str(wc))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))

    def run(*args: object, db: Path | None = wc) -> CliResult:
        capsys.readouterr()
        argv = [str(a) for a in args]
        if db is not None:
            argv = ["--db", str(db), *argv]
        try:
            code = sortui_cli.main(argv)
        except SystemExit as exc:  # argparse: usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
