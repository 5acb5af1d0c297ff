"""The history of a SHAK-kode: every version with its dates and texts, SHAKregion's lines, the SOR units."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.message import Message

from sortui.screens.text_modal import TextModal, scroll_bindings
from sortui.widgets import shak_data
from sortui.widgets.guard import reports_errors
from sortui.widgets.shak_data import ShakDetails
from sortui.widgets.shak_text import history_text
from sortui.widgets.source import Source


class ShakHistoryScreen(TextModal):
    BOX_ID = "shak-history"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "dismiss", "Close the history", show=False, id="shak_history.close"),
        *scroll_bindings("shak_history"),
    ]

    class Loaded(Message):
        def __init__(self, details: ShakDetails) -> None:
            super().__init__()
            self.details = details

    def __init__(self, source: Source, code: str, view_date: str) -> None:
        super().__init__(f"History: SHAK {code}")
        self.source = source
        self.code = code
        self.view_date = view_date

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
        self.show_text(history_text(message.details))
