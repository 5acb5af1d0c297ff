"""The detail panel: everything about the unit under the tree's cursor, loaded in a worker."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from sortui.widgets import detail_text
from sortui.widgets.guard import reports_errors
from sortui.widgets.source import Source
from sortui.widgets.treedata import Item


class DetailPanel(VerticalScroll):
    """Follows the tree's cursor (debounced); the text comes from ``detail_text``."""

    BORDER_TITLE = "Detaljer"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="detail.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="detail.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="detail.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="detail.bottom"),
        Binding("pageup", "page_up", "Page up", show=False, id="detail.page_up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="detail.page_down"),
        Binding("escape", "screen.focus_tree", "Back to the tree", show=False, id="detail.back"),
    ]

    class Loaded(Message):
        def __init__(self, key: str, text: Text, unit: dict[str, Any] | None) -> None:
            super().__init__()
            self.key = key
            self.text = text
            self.unit = unit

    def __init__(self, source: Source, debounce: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.debounce = debounce
        self.unit: dict[str, Any] | None = None
        self.key: str | None = None
        self.text = Text()
        self._timer: Timer | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("loading…", style="dim"), id="detail-body")

    def show_item(self, item: Item | None, view_date: str) -> None:
        """Show ``item`` after the cursor has rested for ``debounce`` seconds."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if item is None:
            return
        if item.kind != "unit" or item.sor_id is None:
            self._show_now(item, view_date)
        elif self.debounce <= 0:
            self._load(item.sor_id, view_date)
        else:
            sor_id = item.sor_id
            self._timer = self.set_timer(self.debounce, lambda: self._load(sor_id, view_date))

    def _show_now(self, item: Item, view_date: str) -> None:
        self.workers.cancel_group(self, "detail")
        text = detail_text.group_text(item) if item.kind == "group" else detail_text.paging_text(item)
        self._set(item.key, text, None)

    @work(thread=True, exclusive=True, group="detail")
    @reports_errors
    def _load(self, sor_id: str, view_date: str) -> None:
        worker = get_current_worker()
        with self.source.connection() as conn:
            try:
                text, unit = detail_text.unit_text(conn, sor_id, view_date)
            except KeyError:
                text, unit = Text(f"{sor_id}: not in the working copy", style="bold"), None
        if not worker.is_cancelled:
            self.post_message(self.Loaded(sor_id, text, unit))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        self._set(message.key, message.text, message.unit)

    def _set(self, key: str, text: Text, unit: dict[str, Any] | None) -> None:
        self.key, self.unit, self.text = key, unit, text
        self.query_one("#detail-body", Static).update(text)
        self.scroll_home(animate=False)
