"""Snapshots of the app (pytest-textual-snapshot); update with `pytest --snapshot-update` after checking the SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_app_support import make_app, press, settle
from textual.pilot import Pilot

from sortui.app import SortApp


def app_for_snapshot(db: Path) -> SortApp:
    # A fixed label instead of the temporary path, a fixed view date: the same picture on every run.
    return make_app(db, readonly=True, label="app-test.sqlite")


def keys(*pressed: str, typed: str = "") -> Any:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await press(pilot, *pressed)
        if typed:
            await pilot.press(*typed)
            await settle(pilot)

    return run_before


def test_main_80x24(snap_compare: Any, app_wc: Path) -> None:
    assert snap_compare(app_for_snapshot(app_wc), terminal_size=(80, 24), run_before=keys("l", "l", "l", "l", "l", "j"))


def test_main_120x40(snap_compare: Any, app_wc: Path) -> None:
    run_before = keys("l", "l", "l", "l", "l", "j", "j", "j")
    assert snap_compare(app_for_snapshot(app_wc), terminal_size=(120, 40), run_before=run_before)


def test_help_80x24(snap_compare: Any, app_wc: Path) -> None:
    assert snap_compare(app_for_snapshot(app_wc), terminal_size=(80, 24), run_before=keys("question_mark"))


def test_search_80x24(snap_compare: Any, app_wc: Path) -> None:
    run_before = keys("slash", typed="afsnit 12")
    assert snap_compare(app_for_snapshot(app_wc), terminal_size=(80, 24), run_before=run_before)


def test_search_120x40(snap_compare: Any, app_wc: Path) -> None:
    run_before = keys("slash", typed="testhospitalet")
    assert snap_compare(app_for_snapshot(app_wc), terminal_size=(120, 40), run_before=run_before)


def test_demo_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """The demo's own working copy, made from the bundled snapshot: the status bar says DEMO DATA."""
    app = make_app(tmp_path / "demo.sqlite", demo=True, label="demo.sqlite")
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys("l", "j"))
