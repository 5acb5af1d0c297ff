"""Helpers for the app's Pilot tests (no tests here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from sortui.app import SortApp
from sortui.screens.main import MainScreen
from sortui.widgets.org_tree import OrgTree

VIEW_DATE = "2024-06-01"


def make_app(db: Path, **kwargs: Any) -> SortApp:
    """The app on ``db`` with a fixed view date, no debounce and no user config."""
    kwargs.setdefault("view_date", VIEW_DATE)
    kwargs.setdefault("debounce", 0)
    return SortApp(db, **kwargs)


async def settle(pilot: Pilot) -> None:
    """Wait until the workers are done and their messages handled (and the work those started)."""
    app = pilot.app
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(w.is_finished for w in app.workers):
            return


async def until(pilot: Pilot, condition: Callable[[], bool], tries: int = 50) -> bool:
    """Pause until ``condition()`` holds (the screen is painted after the messages are handled)."""
    for _ in range(tries):
        if condition():
            return True
        await pilot.pause(0.02)
    return condition()


async def press(pilot: Pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def main_screen(app: SortApp) -> MainScreen:
    return next(s for s in app.screen_stack if isinstance(s, MainScreen))


def tree(app: SortApp) -> OrgTree:
    return main_screen(app).tree


def tree_lines(app: SortApp) -> list[str]:
    """The tree's lines as plain text (labels only, every expanded line, not just the visible ones)."""
    t = tree(app)
    return [line.node.label.plain for line in t._tree_lines]


def cursor_label(app: SortApp) -> str:
    node = tree(app).cursor_node
    return node.label.plain if node is not None else ""


def cursor_id(app: SortApp) -> str | None:
    item = tree(app).cursor_item()
    return item.sor_id if item else None


def screen_text(app: SortApp) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def detail_text(app: SortApp) -> str:
    return main_screen(app).detail.text.plain


def notices(app: SortApp) -> list[str]:
    return [n.message for n in app._notifications]


async def answer_prompt(pilot: Pilot, value: str) -> None:
    """Fill the open prompt's field with ``value`` (faster than typing it) and press enter."""
    from textual.widgets import Input

    pilot.app.screen.query_one(Input).value = value
    await press(pilot, "enter")
