"""What every screen has (issue 15): its help on F1 (saying where the config file is), its keys by name
in the palette, the view-date badge for as long as it holds (the demo's: test_app_demo.py), a date change that keeps
the cursor's unit, and the room the tree gets (z maximises the focused pane, i hides the details)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from test_app_support import (
    VIEW_DATE,
    answer_prompt,
    cursor_id,
    main_screen,
    make_app,
    press,
    screen_text,
    settle,
    tree,
)
from textual.command import CommandPalette

from sortui.screens.editor import UnitEditor
from sortui.screens.help import HelpScreen
from sortui.screens.prompts import PromptScreen

AFSNIT = "900000000100001"


async def go_to(pilot, sor_id: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    main_screen(pilot.app).jump_to(sor_id)
    await settle(pilot)
    assert cursor_id(pilot.app) == sor_id


async def test_f1_and_the_palette_in_the_editor(app_wc: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    app = make_app(app_wc, config_path=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        await press(pilot, "e")
        editor = app.screen
        assert isinstance(editor, UnitEditor)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text.plain
        assert "Help: Unit editor" in screen_text(app) and str(config) in text
        assert "f2 ^o        Validate and save" in text and "f4           Pick a code" in text
        assert "Move cursor left" not in text  # not every field's own cursor keys
        await press(pilot, "escape")
        assert app.screen is editor
        titles = [c.title for c in app.get_system_commands(editor)]
        assert {"Save", "Help", "Quit"} <= set(titles)
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)


async def test_the_view_date_badge_and_a_new_date_keeps_the_cursor(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, AFSNIT)
        assert f"VIEWING {VIEW_DATE}" in screen_text(app).splitlines()[0]
        await press(pilot, "e")  # another screen: the badge too, at the end of its key line
        assert screen_text(app).splitlines()[-1].rstrip().endswith(f"VIEWING {VIEW_DATE}")
        await press(pilot, "escape")
        await press(pilot, "d")
        assert isinstance(app.screen, PromptScreen)
        await answer_prompt(pilot, "")  # today
        await settle(pilot)
        first_line = screen_text(app).splitlines()[0]
        assert "VIEWING" not in first_line and date.today().isoformat() in first_line
        assert cursor_id(app) == AFSNIT  # the tree did not collapse under the cursor


async def test_z_maximises_the_focused_pane_and_i_hides_the_details(app_wc: Path) -> None:
    app = make_app(app_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        rows = tree(app).region.height
        await press(pilot, "z")
        assert tree(app).region.height > rows and screen.detail.region.height == 0
        await press(pilot, "z")
        assert tree(app).region.height == rows
        await press(pilot, "i")
        assert tree(app).region.height > rows and screen.detail.region.height == 0
        await press(pilot, "i")
        assert tree(app).region.height == rows
