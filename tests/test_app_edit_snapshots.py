"""Snapshots of the editors (pytest-textual-snapshot); update with `pytest --snapshot-update` after checking the SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_app_support import main_screen, make_app, press, settle
from textual.pilot import Pilot
from textual.widgets import Input

AFSNIT = "900000000100001"


def test_unit_editor_80x24(snap_compare: Any, app_wc: Path) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        main_screen(pilot.app).jump_to(AFSNIT)  # type: ignore[arg-type]
        await settle(pilot)
        await press(pilot, "e")
        pilot.app.screen.query_one("#f-name", Input).value = ""  # an error by the field
        pilot.app.screen.query_one("#f-shak_code", Input).value = "1301011"  # a warning by the field
        await settle(pilot)

    app = make_app(app_wc, label="app-test.sqlite")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_edi_editor_with_unsaved_changes_80x24(snap_compare: Any, app_wc: Path) -> None:
    """What Save will do is marked (− removed, + added, ~ new validity) and said in the status line."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        main_screen(pilot.app).jump_to(AFSNIT)  # type: ignore[arg-type]
        await settle(pilot)
        await press(pilot, "E", "x", "a")
        await pilot.press(*"kommunehenv")
        await settle(pilot)
        await press(pilot, "enter")

    app = make_app(app_wc, label="app-test.sqlite")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
