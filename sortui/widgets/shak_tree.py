"""The SHAK-kode tree: hospitals → departments → sections by code prefix, loaded one level at a time.

Each level is read by a thread worker (``shak_data.fetch_page``) when a node is first
expanded; a level wider than a page comes in pages with "… N more" / "… N earlier" nodes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Container
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets.tree import TreeNode

from sortui.store import queries
from sortui.widgets import shak_data
from sortui.widgets.marks import marked_prefix
from sortui.widgets.paged_tree import PagedTree, navigation_bindings
from sortui.widgets.shak_data import ShakItem, ShakPage, ShakStep, View
from sortui.widgets.shak_text import item_label
from sortui.widgets.source import Source


class ShakTree(PagedTree[ShakItem, ShakPage]):
    """The SHAK-koder of the working copy, as ``view`` selects them."""

    PAGE = shak_data.PAGE
    BINDINGS: ClassVar[list[BindingType]] = [
        *navigation_bindings("shak", "To the unit carrying the code; else expand, or a section's history"),
        Binding("escape", "cursor_parent", "Back to the parent", show=False, id="shak.back_to_parent"),
    ]

    class RootLoaded(Message):
        """The top level is loaded: whether there are SHAK-koder at all, and SOR units."""

        def __init__(self, present: bool, has_sor: bool) -> None:
            super().__init__()
            self.present = present
            self.has_sor = has_sor

    class Opened(Message):
        """Enter on a code without children (a section): its history is wanted."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    class UnitsWanted(Message):
        """Enter on a code that SOR units carry: the unit (or the list of them) is wanted."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    def __init__(self, source: Source, view: View, **kwargs: Any) -> None:
        super().__init__("SHAK", ShakItem("root", "root"), source, **kwargs)
        self.view = view
        self.marked_codes: Container[str] = frozenset()  # codes whose units are all marked (the main screen says)

    def reset(self, view: View | None = None) -> None:
        """Forget everything loaded (the caller loads the top level, or reveals a code)."""
        self.view = view or self.view
        self.reset_root()

    def load_root(self) -> None:
        self._load(self.root, 0, "replace")

    # -- PagedTree hooks ----------------------------------------------------------

    def page_query(self, node: TreeNode[ShakItem]) -> tuple[str | None, View]:
        return (None if node is self.root else node.data.code if node.data else None), self.view

    def fetch_page(self, conn: sqlite3.Connection, query: tuple[str | None, View], offset: int) -> ShakPage:
        parent, view = query
        return shak_data.fetch_page(conn, parent, offset, view)

    def after_fetch(
        self, conn: sqlite3.Connection, query: tuple[str | None, View], page: ShakPage, mode: str
    ) -> list[Message]:
        if query[0] is not None or mode != "replace":
            return []
        present = page.total > 0 or queries.shak_present(conn)
        return [self.RootLoaded(present, queries.entity_count(conn) > 0)]

    def page_children(self, page: ShakPage) -> list[ShakItem]:
        return [ShakItem("code", e.code, e) for e in page.entries]

    def label(self, item: ShakItem) -> Text:
        label = item_label(item, self.view.on)
        if item.code is not None and item.code in self.marked_codes:
            label = marked_prefix(True).append_text(label)
        return label

    def set_marked_codes(self, codes: set[str]) -> None:
        """Mark the lines of ``codes`` (their units are all marked), unmark the others."""
        old, self.marked_codes = self.marked_codes, frozenset(codes)
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            code = node.data.code if node.data is not None else None
            if code is not None and (code in old) != (code in self.marked_codes):
                node.set_label(self.label(node.data))  # type: ignore[arg-type]
            stack.extend(node.children)

    def visible_codes(self) -> list[str]:
        """The codes on the tree's lines that SOR units carry (loaded, every node above them expanded)."""
        found: list[str] = []
        stack = list(reversed(self.root.children))
        while stack:
            node = stack.pop()
            item = node.data
            if item is not None and item.entry is not None and item.entry.units:
                found.append(item.entry.code)
            if node.is_expanded:
                stack.extend(reversed(node.children))
        return found

    def expandable(self, item: ShakItem) -> bool:
        return item.expandable

    def marker(self, kind: str, key: str, title: str) -> ShakItem:
        return ShakItem(kind if kind in ("more", "earlier") else "note", key, title=title)

    def empty_title(self, node: TreeNode[ShakItem]) -> str:
        return "(no codes valid on the view date: a shows all versions)" if node is self.root else "(none)"

    def level_loaded(self, node: TreeNode[ShakItem]) -> None:
        if node is self.root and self.cursor_line < 0 and node.children:
            self.move_to(node.children[0])

    def action_activate(self) -> None:
        """Enter: to the SOR unit(s) carrying the code, where there are any; else expand (or the history)."""
        node = self.cursor_node
        item = node.data if node is not None else None
        if item is not None and item.entry is not None and item.entry.units and item.code:
            self.post_message(self.UnitsWanted(item.code))
            return
        super().action_activate()

    def activate_leaf(self, item: ShakItem) -> None:
        if item.code:
            self.post_message(self.Opened(item.code))

    @on(RootLoaded)
    def _root_loaded(self, message: RootLoaded) -> None:
        if message.present or not self.root.children:
            return
        note = self.root.children[0]
        note.set_label(Text("No SHAK-koder: import SHAKCOMPLETE.TXT (see the detail panel)", style="italic dim"))

    def reveal(self, steps: list[ShakStep]) -> TreeNode[ShakItem] | None:
        """Expand the path to a code, loading the pages that hold it, and put the cursor on it."""
        return self.reveal_steps(steps)

    def cursor_code(self) -> str | None:
        node = self.cursor_node
        return node.data.code if node is not None and node.data is not None else None
