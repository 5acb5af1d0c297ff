"""The detail panel: everything about the unit under the tree's cursor, loaded in a worker."""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from sortui.widgets import detail_text
from sortui.widgets.debounced import DebouncedLoad
from sortui.widgets.safe import Hanging
from sortui.widgets.source import Source
from sortui.widgets.treedata import Item

Unit = tuple[str, Text, dict[str, Any] | None]  # SOR id, the panel's text, the unit's fields (None: not found)


def read_unit(conn: sqlite3.Connection, sor_id: str, view_date: str) -> Unit:
    try:
        text, unit = detail_text.unit_text(conn, sor_id, view_date)
    except KeyError:
        text, unit = Text(f"{sor_id}: not in the working copy", style="bold"), None
    return sor_id, text, unit


class DetailPanel(DebouncedLoad[Unit], VerticalScroll):
    """Follows the tree's cursor (debounced); the text comes from ``detail_text``."""

    BORDER_TITLE = "Details"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="detail.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="detail.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="detail.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="detail.bottom"),
        Binding("pageup", "page_up", "Page up", show=False, id="detail.page_up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="detail.page_down"),
        Binding("escape", "screen.focus_tree", "Back to the tree", show=False, id="detail.back"),
    ]

    def __init__(self, source: Source, debounce: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.debounce = debounce
        self.unit: dict[str, Any] | None = None
        self.key: str | None = None
        self.text = Text()

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("loading…", style="dim"), id="detail-body")

    def show_item(self, item: Item | None, view_date: str) -> None:
        """Show ``item``: a unit after the cursor has rested for ``debounce`` seconds, a group or paging line at once."""
        if item is None:
            self.cancel_load()
        elif item.kind != "unit" or item.sor_id is None:
            self.cancel_load()
            text = detail_text.group_text(item) if item.kind == "group" else detail_text.paging_text(item)
            self._set(item.key, text, None)
        else:
            self.load_later(partial(read_unit, sor_id=item.sor_id, view_date=view_date))

    class Shown(Message):
        """A unit's details are on screen (the user has seen it)."""

        def __init__(self, sor_id: str) -> None:
            super().__init__()
            self.sor_id = sor_id

    def loaded(self, result: Unit) -> None:
        self._set(*result)
        if result[2] is not None:
            self.post_message(self.Shown(result[0]))

    def _set(self, key: str, text: Text, unit: dict[str, Any] | None) -> None:
        self.key, self.unit, self.text = key, unit, text
        self.query_one("#detail-body", Static).update(Hanging(text, detail_text.LABEL_WIDTH))
        self.scroll_home(animate=False)
