"""The demo is the demo (issue 12): plain ``sortui`` on a new machine opens the demo's own working copy,
labelled demo in the status bar; a real import makes the user's working copy, which the demo's units,
location numbers, message types, SHAK codes, edits and review sessions never enter; a working copy
named but missing is an error, never a new file. The real app is driven by Pilot where ``sortui``
would run it."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path

import pytest
from test_app_support import main_screen, make_app, notices, press, screen_text, settle, tree_lines
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar

from sortui import cli, paths
from sortui.app import SortApp
from sortui.generator import demo
from sortui.screens.editor import UnitEditor
from sortui.store.importer import import_files

Drive = Callable[[SortApp, Pilot], Awaitable[None]]


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new machine: empty user data and config folders, no $SORTUI_DB. Returns sortui's data folder."""
    monkeypatch.delenv("SORTUI_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "data" / "sortui"


def sortui(monkeypatch: pytest.MonkeyPatch, argv: list[str], drive: Drive) -> argparse.Namespace:
    """Run ``sortui ARGV``; where it would start the app, ``drive`` drives the real app on what it chose."""
    chosen: list[argparse.Namespace] = []

    def runner(args: argparse.Namespace) -> int:
        chosen.append(args)

        async def run() -> None:
            app = make_app(args.db, readonly=args.readonly, demo=getattr(args, "demo", False))
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                await drive(app, pilot)

        asyncio.run(run())
        return 0

    monkeypatch.setattr("sortui.app.run", runner)
    assert cli.main(argv) == 0
    (args,) = chosen
    return args


def status_line(app: SortApp) -> str:
    return screen_text(app).splitlines()[0]


def first_unit(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT sor_id FROM entity WHERE kind = 'OE' ORDER BY sor_id LIMIT 1").fetchone()[0]


async def rename(app: SortApp, pilot: Pilot, sor_id: str, name: str) -> None:
    main_screen(app).jump_to(sor_id)
    await settle(pilot)
    await press(pilot, "e")
    assert isinstance(app.screen, UnitEditor)
    app.screen.query_one("#f-name", Input).value = name
    await press(pilot, "f2")
    assert not isinstance(app.screen, UnitEditor)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_counts(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(db)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_plain_sortui_on_a_new_machine_opens_the_demo_in_a_file_of_its_own(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def try_an_edit(app: SortApp, pilot: Pilot) -> None:
        assert "DEMO DATA" in status_line(app)
        assert any(n.startswith("This is the demo, made just now") for n in notices(app))
        assert tree_lines(app)[:2] == ["Region (5)", "Kommune (98)"]
        built = app.screen_stack[0].query_one("#preparing ProgressBar", ProgressBar)  # fed by the import
        assert built.total and built.progress == built.total
        await rename(app, pilot, first_unit(app.source.path), "Prøvet i demoen")
        assert "DEMO DATA" in status_line(app) and "1 pending" in status_line(app)  # still said

    args = sortui(monkeypatch, [], try_an_edit)
    assert args.db == paths.demo_db_path() == machine / "demo.sqlite"
    assert sorted(p.name for p in machine.iterdir()) == ["demo.sqlite"]  # no working copy of the user's

    async def again(app: SortApp, pilot: Pilot) -> None:
        assert "DEMO DATA" in status_line(app)
        assert not any("made just now" in n for n in notices(app))  # current: kept, with the edit made in it
        assert "1 pending" in status_line(app)

    sortui(monkeypatch, [], again)


def test_a_real_import_makes_the_users_working_copy_and_the_demo_stays_apart(
    machine: Path, monkeypatch: pytest.MonkeyPatch, sor_samples: list[Path], tmp_path: Path
) -> None:
    async def edit_the_demo(app: SortApp, pilot: Pilot) -> None:
        await rename(app, pilot, first_unit(app.source.path), "Prøvet i demoen")

    demo_db = sortui(monkeypatch, [], edit_the_demo).db
    assert cli.main(["--db", str(demo_db), "review", "start", "demo-runde", "--search", "a"]) == 0
    assert cli.main(["--db", str(demo_db), "import", str(sor_samples[0])]) == 2  # never into the demo's file
    before = sha256(demo_db)

    assert cli.main(["import", *map(str, sor_samples)]) == 0
    own = machine / "working-copy.sqlite"
    reference = tmp_path / "never-saw-the-demo.sqlite"
    import_files(reference, sor_samples)
    counts = table_counts(own)
    assert counts == table_counts(reference)  # not a location number, SHAK code, edit or session more
    assert counts["entity"] == 10 and counts["journal"] == counts["review_session"] == 0
    assert sha256(demo_db) == before  # and the demo was not touched

    async def the_real_one(app: SortApp, pilot: Pilot) -> None:
        assert "DEMO" not in status_line(app)
        assert tree_lines(app) == ["Privat (3)"]

    assert sortui(monkeypatch, [], the_real_one).db == own


def test_a_demo_made_from_another_snapshot_is_made_again(
    machine: Path, monkeypatch: pytest.MonkeyPatch, sor_samples: list[Path]
) -> None:
    import_files(machine / "demo.sqlite", sor_samples)  # as if the bundled snapshot had changed since

    async def opened(app: SortApp, pilot: Pilot) -> None:
        assert any(n.startswith("This is the demo, made just now") for n in notices(app))
        assert "DEMO DATA" in status_line(app) and tree_lines(app)[0] == "Region (5)"

    sortui(monkeypatch, [], opened)
    with closing(sqlite3.connect(machine / "demo.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == demo.DEMO_ENTITIES


@pytest.mark.parametrize("how", ["--db", "SORTUI_DB"])
def test_a_named_working_copy_that_is_not_there_is_an_error_not_a_new_file(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, how: str
) -> None:
    typo = tmp_path / "wrok-copy.sqlite"
    monkeypatch.setattr("sortui.app.run", lambda args: pytest.fail("the app must not start"))
    if how == "SORTUI_DB":
        monkeypatch.setenv("SORTUI_DB", str(typo))
    argv = ["--db", str(typo)] if how == "--db" else []
    assert cli.main(argv) == 1
    message = capsys.readouterr().err
    assert f"no working copy at {typo}" in message and "sortui import FILE" in message
    assert not typo.exists() and not machine.exists()  # nothing made: no file, no demo


def test_a_working_copy_an_older_sortui_filled_with_the_demo_says_so(
    machine: Path, monkeypatch: pytest.MonkeyPatch, sor_samples: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    own = machine / "working-copy.sqlite"
    import_files(own, demo.demo_files())  # what the first run of an older sortui left as the user's own

    async def labelled(app: SortApp, pilot: Pilot) -> None:
        assert "DEMO DATA" in status_line(app)

    assert sortui(monkeypatch, [], labelled).db == own
    before = sha256(own)
    capsys.readouterr()
    assert cli.main(["import", str(sor_samples[0])]) == 2  # real files would mix with the demo's
    assert "holds the demo, not your data" in capsys.readouterr().err
    assert sha256(own) == before
