"""Search as you type: a worker per keystroke (exclusive: stale searches are dropped), hits in a list.

The first page comes with the number of hits; scrolling to the end of the list loads the next
page. A search covers the whole register, or the subtree of one unit (``search_under``).
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from sortui.store.search import Hit, Scope, SearchPage, search, subtree_scope
from sortui.widgets.form import SafeInput
from sortui.widgets.guard import reports_errors
from sortui.widgets.hit_line import hit_line
from sortui.widgets.marks import marked_prefix
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

PAGE = 100  # hits read at a time
MORE_AHEAD = 10  # the next page is read when the cursor comes this close to the last hit loaded


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
        Binding("G", "last", "Last hit loaded", show=False, id="search.last"),
        Binding("escape", "screen.close_search", "Close the search", show=False, id="search.back"),
    ]


class SearchPane(Vertical):
    """The search field and its hits; ``Chosen`` when a hit is picked with enter."""

    BORDER_TITLE = "Search"

    class Results(Message):
        """A page of hits for ``text`` in ``scope`` (``offset`` 0: a new search)."""

        def __init__(self, text: str, root: str | None, scope: Scope | None, page: SearchPage) -> None:
            super().__init__()
            self.text = text
            self.root = root
            self.scope = scope
            self.page = page

    class Chosen(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Typed(Message):
        """Enter on text that has no hits (yet): what was typed, for a screen that takes a code as it is."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Loaded(Message):
        """Hits arrived: ``new`` a new search's (what pointed into the old hits is stale), else one more page."""

        def __init__(self, new: bool) -> None:
            super().__init__()
            self.new = new

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.hits: list[Hit] = []
        self.searched = ""
        self.total = 0
        self.more = False  # more than the counted total
        self.root: tuple[str, str] | None = None  # (SOR-kode, name) of the subtree searched, None: everything
        self._scope: Scope | None = None  # the root's subtree, once read
        self._reading_more = False
        self.marked: Container[str] = frozenset()  # SOR ids the user marked (the main screen's ``marks``)

    def compose(self) -> ComposeResult:
        field = SearchInput(
            placeholder="name, SOR-kode, SHAK-kode, lokationsnummer, ydernummer, address", id="search-input"
        )
        field.cursor_blink = False
        yield field
        yield HitList(id="search-hits")

    @property
    def complete(self) -> bool:
        """Every hit is loaded."""
        return len(self.hits) >= self.total and not self.more

    def count_text(self) -> str:
        return f"{self.total:,}{'+' if self.more else ''}"

    def search_under(self, root: tuple[str, str] | None) -> None:
        """Search everything (None) or the subtree of (SOR-kode, name) from now on; searches again."""
        if root != self.root:
            self.root, self._scope = root, None
        self.border_title = Text(f"Search in {clean(root[1])}") if root else "Search"  # a name: never markup
        self.run_search(self.query_one(SearchInput).value)

    def forget_scope(self) -> None:
        """The tree changed (an edit): the subtree is read again by the next search."""
        self._scope = None

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
        else:
            self.post_message(self.Typed(event.value))

    @on(OptionList.OptionSelected, "#search-hits")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(event.option_index))

    @on(OptionList.OptionHighlighted, "#search-hits")
    def _hit_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index >= len(self.hits) - MORE_AHEAD:
            self.read_more()

    def run_search(self, text: str) -> None:
        self._read(text, self.root[0] if self.root else None, self._scope, 0)

    def read_more(self) -> bool:
        """Read the next page of hits, if there is one and it is not on its way; whether it was asked for."""
        if self.complete or self._reading_more or not self.hits:
            return False
        self._reading_more = True
        self._read_page(self.searched, self.root[0] if self.root else None, self._scope, len(self.hits))
        return True

    @work(thread=True, exclusive=True, group="search")
    @reports_errors
    def _read(self, text: str, root: str | None, scope: Scope | None, offset: int) -> None:
        self._search_in_worker(text, root, scope, offset)

    @work(thread=True, exclusive=True, group="search-more")
    @reports_errors
    def _read_page(self, text: str, root: str | None, scope: Scope | None, offset: int) -> None:
        self._search_in_worker(text, root, scope, offset)

    def _search_in_worker(self, text: str, root: str | None, scope: Scope | None, offset: int) -> None:
        worker = get_current_worker()
        with self.source.connection() as conn:
            if root is not None and scope is None:
                scope = subtree_scope(conn, root)
            page = search(conn, text, limit=PAGE, offset=offset, scope=scope) if root is None or scope else None
        if not worker.is_cancelled:
            self.post_message(self.Results(text, root, scope, page or SearchPage([], 0)))

    @on(Results)
    def _results(self, message: Results) -> None:
        message.stop()
        current = (self.query_one(SearchInput).value, self.root[0] if self.root else None)
        if message.page.offset:
            self._reading_more = False
        if (message.text, message.root) != current:
            return
        if message.scope is not None:
            self._scope = message.scope
        page = message.page
        if page.offset and (message.text != self.searched or page.offset != len(self.hits)):
            return
        if not page.offset:
            self.hits, self.searched, self._reading_more = [], message.text, False
            self.query_one(HitList).clear_options()
        self.hits += page.hits
        self.total, self.more = page.total, page.more
        hits = self.query_one(HitList)
        width = self._line_width()
        hits.add_options([Option(self._hit_text(h, width)) for h in page.hits])
        if page.hits and not page.offset:
            hits.highlighted = 0
        self.border_subtitle = page.count_text() if message.text.strip() else ""
        self.post_message(self.Loaded(new=not page.offset))

    def _line_width(self) -> int:
        """The hits' width, less the scroll bar's (it comes and goes with the number of hits)."""
        hits = self.query_one(HitList)
        width = hits.size.width - hits.styles.scrollbar_size_vertical
        return width if width > 10 else 76

    def on_resize(self, event: Resize) -> None:
        hits = self.query_one(HitList)
        width = self._line_width()
        for index, hit in enumerate(self.hits):
            hits.replace_option_prompt_at_index(index, self._hit_text(hit, width))

    def _hit_text(self, hit: Hit, width: int) -> Text:
        """A hit's line, after the mark when it is marked."""
        if hit.sor_id not in self.marked:
            return hit_line(hit, width)
        return marked_prefix(True).append_text(hit_line(hit, width - 2))

    def relabel_hits(self, sor_ids: Container[str]) -> None:
        """Draw the hits of ``sor_ids`` again (their marks changed)."""
        hits, width = self.query_one(HitList), self._line_width()
        for index, hit in enumerate(self.hits):
            if hit.sor_id in sor_ids:
                hits.replace_option_prompt_at_index(index, self._hit_text(hit, width))

    def highlighted_hit(self) -> Hit | None:
        index = self.query_one(HitList).highlighted
        return self.hits[index] if index is not None and index < len(self.hits) else None
