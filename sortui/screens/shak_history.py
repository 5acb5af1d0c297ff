"""The history of a SHAK code: every version with its dates and texts, SHAKregion's lines, the SOR units."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from sortui.widgets import shak_data
from sortui.widgets.guard import reports_errors
from sortui.widgets.shak_data import ShakDetails
from sortui.widgets.shak_text import history_text
from sortui.widgets.source import Source


class ShakHistoryScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "dismiss", "Close the history", show=False, id="shak_history.close"),
        Binding("j,down", "scroll('down')", "Scroll down", show=False, id="shak_history.down"),
        Binding("k,up", "scroll('up')", "Scroll up", show=False, id="shak_history.up"),
    ]

    class Loaded(Message):
        def __init__(self, details: ShakDetails) -> None:
            super().__init__()
            self.details = details

    def __init__(self, source: Source, code: str, view_date: str) -> None:
        super().__init__()
        self.source = source
        self.code = code
        self.view_date = view_date
        self.text = Text()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="shak-history") as box:
            box.border_title = f"History: SHAK {self.code}"
            box.border_subtitle = "esc close"
            yield Static(Text("loading…", style="dim"), id="shak-history-body")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, group="shak-history")
    @reports_errors
    def _load(self) -> None:
        with self.source.connection() as conn:
            details = shak_data.details(conn, self.code, self.view_date)
        self.post_message(self.Loaded(details))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.text = history_text(message.details)
        self.query_one("#shak-history-body", Static).update(self.text)

    def action_scroll(self, direction: str) -> None:
        box = self.query_one("#shak-history", VerticalScroll)
        if direction == "down":
            box.scroll_down(animate=False)
        else:
            box.scroll_up(animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
