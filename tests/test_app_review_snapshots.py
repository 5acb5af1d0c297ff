"""A snapshot of the review screen (pytest-textual-snapshot); update with `pytest --snapshot-update` after
checking the SVG. The view date is fixed and no clock time is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_app_support import VIEW_DATE, make_app, press, settle
from textual.pilot import Pilot
from textual.widgets import Input

from sortui.store import db, review


def test_review_80x24(snap_compare: Any, app_wc: Path) -> None:
    conn = db.open_working_copy(app_wc)
    review.start(conn, "afsnit 00", VIEW_DATE, search="afsnit 00")
    conn.close()

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await press(pilot, "R", "enter", "a", "f")
        pilot.app.screen.query_one(Input).value = "forkert [adresse]"
        await press(pilot, "enter", "s", "x")

    app = make_app(app_wc, label="app-test.sqlite")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
