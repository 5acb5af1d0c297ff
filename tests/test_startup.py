"""Start-up pays only for what a command uses: which modules a command loads, read from ``sys.modules``
of a process of its own (no timings here: those are in benchmarks/startup_bench.py)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AFSNIT = "347831000016005"
# What a lookup never needs: the schema machinery, the service and its client, the terminal UI.
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "textual", "fastapi", "uvicorn", "starlette", "httpx", "keyring")

_PROBE = """
import json, sys
from sortui.cli import main
code = None
try:
    code = main(sys.argv[1:])
finally:  # --help exits
    print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _loaded_sortui(*argv: object, tmp_path: Path) -> tuple[int, set[str]]:
    """The exit code of ``sortui ARGV`` run in a process of its own, and the modules it loaded."""
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg-data"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *map(str, argv)], capture_output=True, text=True, env=env, timeout=60
    )
    found = json.loads(done.stderr.strip().splitlines()[-1])
    return found["code"], set(found["modules"])


def _loaded(*argv: object, tmp_path: Path) -> tuple[int, set[str]]:
    """The exit code and the top-level packages loaded."""
    code, modules = _loaded_sortui(*argv, tmp_path=tmp_path)
    return code, {m.split(".")[0] for m in modules}


@pytest.mark.parametrize(
    "command",
    [("show", AFSNIT), ("show", AFSNIT, "--json"), ("search", "Roskilde"), ("stats",), ("changes",), ("--help",)],
)
def test_a_lookup_loads_none_of_the_heavy_modules(command: tuple[str, ...], sor_wc: Path, tmp_path: Path) -> None:
    code, modules = _loaded("--db", sor_wc, *command, tmp_path=tmp_path)
    assert code in (0, None)
    assert modules.isdisjoint(HEAVY), sorted(modules.intersection(HEAVY))


def test_the_app_loads_neither_the_service_nor_its_schema_machinery(tmp_path: Path) -> None:
    probe = "import sys, sortui.app, sortui.cli.offline, sortui.screens.main; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "'textual'" in loaded
    # nor the sync client (httpx) before it syncs or a service is configured
    assert not any(f"'{name}'" in loaded for name in ("fastapi", "uvicorn", "starlette", "sqlmodel", "httpx"))


def test_creating_a_working_copy_is_what_loads_the_schema_machinery(tmp_path: Path, samples_dir: Path) -> None:
    wc = tmp_path / "new.sqlite"
    code, modules = _loaded("--db", wc, "import", samples_dir / "sor" / "ONE_APOTEK.xml", tmp_path=tmp_path)
    assert code == 0 and "sqlmodel" in modules


def test_every_command_is_listed_with_the_module_that_defines_it() -> None:
    import argparse

    from sortui import cli

    for module in cli.COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).add_parser(sub)
        assert {name for name, m in cli.COMMANDS.items() if m == module} == set(sub.choices), module
    full = cli.build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(full) == list(cli.COMMANDS)  # --help lists them in this order


def test_a_command_loads_only_its_own_module(sor_wc: Path, tmp_path: Path) -> None:
    _, modules = _loaded_sortui("--db", sor_wc, "show", AFSNIT, tmp_path=tmp_path)
    assert "sortui.cli.lookup" in modules
    assert modules.isdisjoint({"sortui.cli.edit", "sortui.cli.review", "sortui.cli.sync", "sortui.store.export"})


@pytest.mark.parametrize("command", [("show", AFSNIT), ("show", AFSNIT, "--json"), ("shak", "2529010")])
def test_a_lookup_printed_to_a_pipe_loads_no_rich(command: tuple[str, ...], sor_wc: Path, tmp_path: Path) -> None:
    """Output that is not a terminal is plain text, printed without rich's console (a third of a start)."""
    code, modules = _loaded("--db", sor_wc, *command, tmp_path=tmp_path)
    assert code == 0 and "rich" not in modules
