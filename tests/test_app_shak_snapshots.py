"""Snapshots of the SHAK navigator (pytest-textual-snapshot); update with `pytest --snapshot-update` after checking the SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SHAK_VIEW_DATE
from test_app_support import answer_prompt, make_app, press, settle
from textual.pilot import Pilot


def test_shak_pane_80x24(snap_compare: Any, full_wc: Path) -> None:
    app = make_app(full_wc, readonly=True, label="shak-test.sqlite", view_date=SHAK_VIEW_DATE, demo=False)

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await press(pilot, "s", "colon")
        await answer_prompt(pilot, "2529010")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
