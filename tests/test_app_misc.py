"""View date, help, palette, copy, keymap config, read-only mode, offline inspection."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from pathlib import Path

import pytest
from conftest import WIDE_SI
from test_app_support import (
    answer_prompt,
    cursor_id,
    main_screen,
    make_app,
    notices,
    press,
    screen_text,
    settle,
    tree_lines,
)
from textual.command import CommandPalette

from sortui import cli
from sortui.screens.help import HelpScreen
from sortui.screens.prompts import PromptScreen
from sortui.store.importer import import_files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_change_view_date(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "2024-06-01" in screen_text(app).splitlines()[0]
        await press(pilot, "l", "l", "l", "l", "l")
        assert not any(line.startswith("Afdeling (lukket)") for line in tree_lines(app))
        await press(pilot, "d")
        assert isinstance(app.screen, PromptScreen)
        await answer_prompt(pilot, "2015-01-01")
        screen = main_screen(app)
        assert screen.view_date == "2015-01-01"
        assert "2015-01-01" in screen_text(app).splitlines()[0]
        assert cursor_id(app) == WIDE_SI  # the cursor's unit stays in view
        await press(pilot, "l")
        assert any(line.startswith("Afdeling (lukket)") for line in tree_lines(app))  # valid in 2015
        assert "Privat (303)" in tree_lines(app)
        await press(pilot, "d")
        await answer_prompt(pilot, "2009-01-01")
        assert "Privat (2)" in tree_lines(app)  # only owners valid on 2009-01-01


async def test_bad_date_is_refused(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "d")
        await answer_prompt(pilot, "2024-13-45")
        assert isinstance(app.screen, PromptScreen)
        assert "is not a date" in screen_text(app)
        await press(pilot, "escape")
        assert main_screen(app).view_date == "2024-06-01"


async def test_help_lists_the_focused_panes_keys(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text.plain
        assert "Organisation tree" in text and "Show or hide closed units" not in text
        assert "Closed" in text and "Collapse, or go to the parent" in text
        assert "Everywhere" in text and "Search" in text and "Quit" in text
        await press(pilot, "escape")
        await press(pilot, "tab", "f1")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.help_title == "Help: Detail panel"
        assert "Scroll down" in app.screen.text.plain
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_lists_the_apps_commands(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(main_screen(app))]
        for title in ("Go to", "Search", "Toggle closed units", "Set view date", "Copy SOR-kode", "Help", "Quit"):
            assert title in titles
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"toggle closed")
        await settle(pilot)
        await press(pilot, "enter")
        await settle(pilot)
        assert main_screen(app).show_closed


async def test_copy_sor_id_and_gln(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "y")
        assert any("No unit under the cursor" in n for n in notices(app))
        await press(pilot, "l", "l", "l", "l")
        assert cursor_id(app) == WIDE_SI
        await press(pilot, "y")
        assert app.clipboard == WIDE_SI
        assert any(n.startswith(f"Copied SOR-kode {WIDE_SI}: sent to the terminal by OSC 52") for n in notices(app))
        await press(pilot, "l", "j", "j", "j", "Y")  # a unit that inherits the location number
        assert app.clipboard == "5790000999019"
        assert any(n.startswith("Copied lokationsnummer 5790000999019:") for n in notices(app))


async def test_keymap_from_config(app_wc: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"tree.toggle_closed" = "x"\n"app.search" = "f"\n', encoding="utf-8")
    app = make_app(app_wc, readonly=True, config_path=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        assert not main_screen(app).show_closed
        await press(pilot, "x")
        assert main_screen(app).show_closed
        await press(pilot, "f")
        assert main_screen(app).has_class("-searching")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[keymap\n", "not read"),
        ('[keymap]\n"tree.nope" = "x"\n', "is not a binding id"),
        ('[keymap]\n"tree.toggle_closed" = 3\n', "must be a key"),
        ('keymap = "c"\n', "must be a table"),
    ],
)
async def test_bad_config_gives_a_notice(app_wc: Path, tmp_path: Path, content: str, problem: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content, encoding="utf-8")
    app = make_app(app_wc, readonly=True, config_path=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any(problem in n for n in notices(app))
        await press(pilot, "c")  # the default keys still work
        assert main_screen(app).show_closed


async def test_readonly_never_writes(app_wc: Path) -> None:
    before = sha256(app_wc)
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "l", "l", "l", "l", "c", "d", "enter", "slash", "a", "enter", "escape")
        screen = app.screen
        for key in ("e", "a", "X", "m", "L", "E", "B"):  # every edit key is refused, no editor opens
            app._notifications.clear()
            await press(pilot, key)
            assert app.screen is screen, key
            assert any(n.startswith("Read-only") for n in notices(app)), key
        await press(pilot, "q")
    assert sha256(app_wc) == before
    assert not Path(f"{app_wc}-wal").exists() or Path(f"{app_wc}-wal").stat().st_size == 0


async def test_status_bar(app_wc: Path) -> None:
    app = make_app(app_wc, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = screen_text(app).splitlines()[0]
        assert "2024-06-01" in line and "snapshot 2010-01-26" in line and "0 pending" in line
        assert "READ-ONLY" in line and str(app_wc)[:30] in line


def test_open_file_leaves_the_working_copy_alone(
    wc: Path, sor_samples: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_files(wc, sor_samples[:1])
    before = sha256(wc)
    seen: dict[str, object] = {}

    def runner(args: argparse.Namespace) -> int:
        seen["db"], seen["readonly"] = args.db, args.readonly
        assert args.db.exists() and args.db != wc

        async def browse() -> None:
            app = make_app(args.db, readonly=args.readonly, label=args.label, demo=args.demo)
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                seen["lines"] = tree_lines(app)
                seen["status"] = screen_text(app).splitlines()[0]

        asyncio.run(browse())
        return 0

    monkeypatch.setattr("sortui.app.run", runner)
    code = cli.main(["--db", str(wc), "open", str(sor_samples[2])])
    assert code == 0
    assert seen["readonly"] is True
    assert seen["lines"] == ["Privat (1)"]
    assert "READ-ONLY  ONE_PRAKSIS.xml" in str(seen["status"])
    assert not Path(str(seen["db"])).parent.exists()  # the temporary copy is gone
    assert sha256(wc) == before
