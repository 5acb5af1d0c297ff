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


# The processes' environment without a coverage run's start-up hook (which loads tomllib, among
# others, into every process): a start-up as a user's.
_PLAIN = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}


def _loaded_sortui(*argv: object, tmp_path: Path) -> tuple[int, set[str]]:
    """The exit code of ``sortui ARGV`` run in a process of its own, and the modules it loaded."""
    env = dict(_PLAIN, XDG_DATA_HOME=str(tmp_path / "xdg-data"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
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
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_PLAIN, check=True
    ).stdout
    assert "'textual'" in loaded
    # nor the sync client (httpx) before it syncs or a service is configured
    assert not any(f"'{name}'" in loaded for name in ("fastapi", "uvicorn", "starlette", "sqlmodel", "httpx"))


def test_creating_a_working_copy_loads_none_of_the_schema_machinery(tmp_path: Path, samples_dir: Path) -> None:
    """A new working copy is created from the DDL generated from the SQLModel tables (``store/ddl.py``)."""
    wc = tmp_path / "new.sqlite"
    code, modules = _loaded("--db", wc, "import", samples_dir / "sor" / "ONE_APOTEK.xml", tmp_path=tmp_path)
    assert code == 0 and modules.isdisjoint(HEAVY), sorted(modules.intersection(HEAVY))


def test_an_import_loads_neither_the_exporters_nor_the_queries_of_the_app(tmp_path: Path, samples_dir: Path) -> None:
    from sortui.cli.files import EXPORT_FORMATS
    from sortui.store.export import FORMATS

    assert EXPORT_FORMATS == FORMATS  # what `export --format` offers is what the exporters write
    code, modules = _loaded_sortui(
        "--db", tmp_path / "new.sqlite", "import", samples_dir / "sor" / "ONE_APOTEK.xml", tmp_path=tmp_path
    )
    assert code == 0 and modules.isdisjoint({"sortui.store.export", "sortui.store.queries"})


def test_the_generated_ddl_is_what_the_schema_says() -> None:
    from sortui.store import ddl, schema

    assert [stmt for _, stmt in ddl.STATEMENTS] == schema.ddl_statements()
    added = schema.ADDED_TABLES[2]
    assert [stmt for table, stmt in ddl.STATEMENTS if table in added] == schema.ddl_statements(added)


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


_APP_PROBE = """
import asyncio, json, sys
from sortui import app
from sortui.cli import main

def first_screen(self):  # headless, until the tree's top level is in
    async def run():
        async with self.run_test() as pilot:
            while not any(tree.root.children for tree in self.screen.query("OrgTree")):
                await pilot.pause(0.01)
    asyncio.run(run())

app.SortApp.run = first_screen
main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
"""
# What the first screen never needs: every other screen is loaded when it is first opened, the
# editing, export and import machinery with the first edit, export or import, the sync client with
# the first sync, the settings' TOML parser only when there is a settings file.
NOT_AT_START = (
    *(f"sortui.screens.{name}" for name in ("help", "editor", "edi", "changes", "confirm", "review", "conflicts")),
    *(f"sortui.screens.{name}" for name in ("login", "sync", "what_changed", "path_prompt", "shak_history")),
    *("sortui.store.edits", "sortui.widgets.edit_data", "sortui.store.export", "sortui.store.importer"),
    *("sortui.sync.client", "sortui.sync.engine"),
    *("sortui.cli.files", "sortui.cli.lookup", "sortui.cli.sync", "httpx", "keyring", "tomllib"),
)


def test_the_apps_first_screen_loads_no_other_screen_nor_the_export_import_or_sync_machinery(
    sor_wc: Path, tmp_path: Path
) -> None:
    env = dict(_PLAIN, XDG_STATE_HOME=str(tmp_path / "xdg-state"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    argv = [sys.executable, "-c", _APP_PROBE, "--readonly", "--db", str(sor_wc)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=True)
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "sortui.screens.main" in modules
    assert modules.isdisjoint(NOT_AT_START), sorted(modules.intersection(NOT_AT_START))
