"""Choosing a unit's new parent for a move (``m``): by name with the search, or by code as with ``:``."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from sortui.widgets.search_pane import HitList, SearchInput, SearchPane
from sortui.widgets.source import Source

HINT = (
    "A name (the hits as in the search: ↓ to them, enter picks), or a SOR-kode, lokationsnummer, "
    "SHAK-kode or ydernummer as with : · esc cancels"
)


class ParentScreen(ModalScreen[str | None]):
    """Answers the new parent as a go-to key: ``sor:<SOR-kode>`` for a hit picked, else the text typed."""

    HELP_TITLE = "Move: the new parent"
    HELP = "Type a name and pick a hit (down to the hits, enter), or type the new parent's code and press enter."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="move_parent.cancel"),
    ]

    def __init__(self, source: Source, title: str) -> None:
        super().__init__()
        self.source = source
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="move-parent"):
            yield Static(Text(self.title_text, style="bold"), id="move-parent-title")
            yield SearchPane(self.source, id="move-parent-search")
            yield Static(Text(HINT, style="dim"), id="move-parent-hint")

    def on_mount(self) -> None:
        self.query_one(SearchInput).focus()

    @on(SearchPane.Chosen)
    def _chosen(self, message: SearchPane.Chosen) -> None:
        message.stop()
        hits = self.query_one(SearchPane).hits
        if 0 <= message.index < len(hits):
            self.dismiss(f"sor:{hits[message.index].sor_id}")

    @on(SearchPane.Typed)
    def _typed(self, message: SearchPane.Typed) -> None:
        message.stop()
        if message.text.strip():
            self.dismiss(message.text.strip())

    def action_focus_hits(self) -> None:
        if self.query_one(SearchPane).hits:
            self.query_one(HitList).focus()

    def action_close_search(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
