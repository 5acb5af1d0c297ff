"""Search as you type: FTS5 in a worker (exclusive, stale searches are dropped), hits in a list."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from sortui.domain.words import plural
from sortui.store import queries
from sortui.widgets.form import SafeInput
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import Fitted, clean
from sortui.widgets.source import Source

LIMIT = 100


def hit_text(hit: queries.Hit) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(f"{hit.kind} ", style="dim")
    t.append(clean(hit.name), style="dim strike" if hit.to_date else "bold")
    if hit.to_date:
        t.append(f" (closed {hit.to_date})", style="dim")
    t.append(f"  {hit.sor_id}", style="dim")
    detail = " ".join(w for w in clean(hit.detail).split() if w != hit.sor_id)
    if detail:
        t.append(f"  {detail}", style="dim")
    return t


class SearchInput(SafeInput):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.focus_hits", "Go to the hits", show=False, id="search.hits"),
        Binding("escape", "screen.close_search", "Close the search", show=False, id="search.close"),
    ]


class HitList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next hit", show=False, id="search.down"),
        Binding("k", "cursor_up", "Previous hit", show=False, id="search.up"),
        Binding("g", "first", "First hit", show=False, id="search.first"),
        Binding("G", "last", "Last hit", show=False, id="search.last"),
        Binding("escape", "screen.close_search", "Close the search", show=False, id="search.back"),
    ]


class SearchPane(Vertical):
    """The search field and its hits; ``Chosen`` when a hit is picked with enter."""

    BORDER_TITLE = "Search"

    class Results(Message):
        def __init__(self, text: str, hits: list[queries.Hit]) -> None:
            super().__init__()
            self.text = text
            self.hits = hits

    class Chosen(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.hits: list[queries.Hit] = []
        self.searched = ""

    def compose(self) -> ComposeResult:
        field = SearchInput(
            placeholder="name, SOR-kode, SHAK-kode, lokationsnummer, ydernummer, address", id="search-input"
        )
        field.cursor_blink = False
        yield field
        yield HitList(id="search-hits")

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.run_search(event.value)

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        hits = self.query_one(HitList)
        if self.hits and self.searched == event.value:
            self.post_message(self.Chosen(hits.highlighted or 0))

    @on(OptionList.OptionSelected, "#search-hits")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(event.option_index))

    @work(thread=True, exclusive=True, group="search")
    @reports_errors
    def run_search(self, text: str) -> None:
        worker = get_current_worker()
        with self.source.connection() as conn:
            hits = queries.search(conn, text, limit=LIMIT)
        if not worker.is_cancelled:
            self.post_message(self.Results(text, hits))

    @on(Results)
    def _results(self, message: Results) -> None:
        message.stop()
        if message.text != self.query_one(SearchInput).value:
            return
        self.hits, self.searched = message.hits, message.text
        hits = self.query_one(HitList)
        hits.clear_options()
        hits.add_options([Option(Fitted(hit_text(h))) for h in message.hits])
        if message.hits:
            hits.highlighted = 0
        n = len(message.hits)
        self.border_subtitle = (plural(n, "hit") + ("+" if n >= LIMIT else "")) if message.text.strip() else ""
