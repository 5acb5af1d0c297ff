"""The SHAK code tree: hospitals → departments → sections by code prefix, loaded one level at a time.

Each level is read by a thread worker (``shak_data.fetch_page``) when a node is first
expanded; a level wider than a page comes in pages with "… N more" / "… N earlier" nodes.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode, UnknownNodeID

from sortui.store import queries
from sortui.widgets import shak_data
from sortui.widgets.guard import reports_errors
from sortui.widgets.shak_data import ShakItem, ShakPage, ShakStep, View
from sortui.widgets.shak_text import item_label
from sortui.widgets.source import Source

LOADING = "loading…"


class ShakTree(Tree[ShakItem]):
    """The SHAK codes of the working copy, as ``view`` selects them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="shak.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="shak.up"),
        Binding("l,right", "open_or_child", "Expand, or go to the first child", show=False, id="shak.expand"),
        Binding("h,left", "close_or_parent", "Collapse, or go to the parent", show=False, id="shak.collapse"),
        Binding("g,home", "scroll_home", "First line", show=False, id="shak.first"),
        Binding("G,end", "scroll_end", "Last line", show=False, id="shak.last"),
        Binding("pageup", "page_up", "Page up", show=False, id="shak.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="shak.page_down"),
        Binding(
            "enter", "activate", "Expand or collapse; history of a section; load a page", show=False, id="shak.open"
        ),
        Binding("space", "activate", "Expand or collapse", show=False, id="shak.toggle"),
        Binding("escape", "cursor_parent", "Back to the parent", show=False, id="shak.back_to_parent"),
    ]

    class PageLoaded(Message):
        """A worker read a page of a node's children."""

        def __init__(self, node_id: int | None, page: ShakPage, generation: int, mode: str) -> None:
            super().__init__()
            self.node_id = node_id
            self.page = page
            self.generation = generation
            self.mode = mode

    class RootLoaded(Message):
        """The top level is loaded: whether there are SHAK codes at all, and SOR units."""

        def __init__(self, present: bool, has_sor: bool) -> None:
            super().__init__()
            self.present = present
            self.has_sor = has_sor

    class Opened(Message):
        """Enter on a code without children (a section): its history is wanted."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    def __init__(self, source: Source, view: View, **kwargs: object) -> None:
        super().__init__("SHAK", data=ShakItem("root", "root"), **kwargs)  # type: ignore[arg-type]
        self.source = source
        self.view = view
        self.generation = 0
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2

    def reset(self, view: View | None = None) -> None:
        """Forget everything loaded (the caller loads the top level, or reveals a code)."""
        self.view = view or self.view
        self.generation += 1
        self.clear()
        root = self.root.data
        assert root is not None
        root.loaded = root.loading = False

    def load_root(self) -> None:
        self._load(self.root, 0, "replace")

    # -- loading ---------------------------------------------------------------

    def _load(self, node: TreeNode[ShakItem], offset: int, mode: str) -> None:
        item = node.data
        assert item is not None
        item.loading = True
        if mode == "replace" and not node.children:
            node.add_leaf(Text(LOADING, style="italic dim"), ShakItem("note", "loading", title=LOADING))
        node_id = None if node is self.root else node.id  # Tree.clear() gives the new root a stale id
        parent = None if node is self.root else item.code
        self._fetch(node_id, parent, offset, self.view, self.generation, mode)

    @work(thread=True, group="shak-tree")
    @reports_errors
    def _fetch(
        self, node_id: int | None, parent: str | None, offset: int, view: View, generation: int, mode: str
    ) -> None:
        with self.source.connection() as conn:
            page = shak_data.fetch_page(conn, parent, offset, view)
            root_info = None
            if parent is None and mode == "replace":
                root_info = (page.total > 0 or queries.shak_present(conn), queries.entity_count(conn) > 0)
        self.post_message(self.PageLoaded(node_id, page, generation, mode))
        if root_info is not None:
            self.post_message(self.RootLoaded(*root_info))

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        try:
            node = self.root if message.node_id is None else self.get_node_by_id(message.node_id)  # type: ignore[arg-type]
        except UnknownNodeID:
            return
        item = node.data
        assert item is not None
        item.loading = False
        if message.mode == "replace" and not item.loaded:
            self.fill(node, message.page)
            if node is self.root and self.cursor_line < 0 and node.children:
                self.move_to(node.children[0])
        elif message.mode == "append" and item.end == message.page.start:
            self._append(node, message.page)
        elif message.mode == "prepend":
            self._prepend(node, message.page)

    @on(RootLoaded)
    def _root_loaded(self, message: RootLoaded) -> None:
        if message.present or not self.root.children:
            return
        note = self.root.children[0]
        note.set_label(Text("No SHAK codes: import SHAKCOMPLETE.TXT (see the detail panel)", style="italic dim"))

    def fill(self, node: TreeNode[ShakItem], page: ShakPage) -> None:
        """Make ``page`` the children of ``node``."""
        item = node.data
        assert item is not None
        node.remove_children()
        item.start, item.end, item.total, item.loaded = page.start, page.start + len(page.entries), page.total, True
        if item.start > 0:
            self._add_earlier(node, before=None)
        for entry in page.entries:
            self._add_entry(node, ShakItem("code", entry.code, entry))
        self._add_more(node)
        if not page.entries:
            title = "(no codes valid on the view date: a shows all versions)" if node is self.root else "(none)"
            node.add_leaf(Text(title, style="italic dim"), ShakItem("note", "note", title=title))

    def _append(self, node: TreeNode[ShakItem], page: ShakPage) -> None:
        item = node.data
        assert item is not None
        more = self._child_by_key(node, "more")
        if more is not None:
            more.remove()
        added = [self._add_entry(node, ShakItem("code", e.code, e)) for e in page.entries]
        item.end, item.total = page.start + len(page.entries), page.total
        self._add_more(node)
        if added:
            self.move_to(added[0])

    def _prepend(self, node: TreeNode[ShakItem], page: ShakPage) -> None:
        item = node.data
        assert item is not None
        earlier = self._child_by_key(node, "earlier")
        if earlier is None or page.start + len(page.entries) != item.start:
            return
        earlier.remove()
        anchor = node.children[0] if node.children else None
        added = [self._add_entry(node, ShakItem("code", e.code, e), before=anchor) for e in page.entries]
        item.start = page.start
        if item.start > 0:
            self._add_earlier(node, before=node.children[0])
        if added:
            self.move_to(added[-1])

    def _add_entry(
        self, node: TreeNode[ShakItem], child: ShakItem, before: TreeNode[ShakItem] | None = None
    ) -> TreeNode[ShakItem]:
        label = item_label(child, self.view.on)
        if child.expandable:
            return node.add(label, child, before=before)
        return node.add_leaf(label, child, before=before)

    def _add_more(self, node: TreeNode[ShakItem]) -> None:
        item = node.data
        assert item is not None
        left = item.total - item.end
        if left > 0:
            node.add_leaf(
                Text(f"… {left:,} more", style="italic dim"), ShakItem("more", "more", title=f"… {left:,} more")
            )

    def _add_earlier(self, node: TreeNode[ShakItem], before: TreeNode[ShakItem] | None) -> None:
        item = node.data
        assert item is not None
        title = f"… {item.start:,} earlier"
        node.add_leaf(Text(title, style="italic dim"), ShakItem("earlier", "earlier", title=title), before=before)

    @staticmethod
    def _child_by_key(node: TreeNode[ShakItem], key: str) -> TreeNode[ShakItem] | None:
        return next((c for c in node.children if c.data is not None and c.data.key == key), None)

    # -- expanding, paging, revealing ---------------------------------------------

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[ShakItem]) -> None:
        event.stop()
        self._ensure_loaded(event.node)

    def _ensure_loaded(self, node: TreeNode[ShakItem]) -> None:
        item = node.data
        if item is not None and item.expandable and not item.loaded and not item.loading:
            self._load(node, 0, "replace")

    def _load_page(self, node: TreeNode[ShakItem]) -> None:
        """Load the page a "more" or "earlier" node stands for."""
        item, parent = node.data, node.parent
        if item is None or parent is None or parent.data is None or item.title == LOADING:
            return
        container = parent.data
        item.title = LOADING
        node.set_label(Text(LOADING, style="italic dim"))
        if item.kind == "more":
            self._load(parent, container.end, "append")
        else:
            self._load(parent, max(0, container.start - shak_data.PAGE), "prepend")

    def action_activate(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        item = node.data
        if item.kind in ("more", "earlier"):
            self._load_page(node)
        elif node.allow_expand:
            node.toggle()
            self._ensure_loaded(node)
        elif item.code:
            self.post_message(self.Opened(item.code))

    def action_open_or_child(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.data.kind in ("more", "earlier"):
            self._load_page(node)
        elif node.allow_expand and not node.is_expanded:
            node.expand()
            self._ensure_loaded(node)
        elif node.is_expanded and node.children and not node.data.loading:
            self.move_to(node.children[0])

    def action_close_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_to(node.parent)

    def move_to(self, node: TreeNode[ShakItem], center: bool = False) -> None:
        """Put the cursor on ``node`` (the tree's lines are rebuilt first if nodes were added)."""
        _ = self.last_line  # rebuilds the line cache, which gives new nodes their line numbers
        self.move_cursor(node)
        self.center_scroll = center
        try:
            self.scroll_to_node(node, animate=False)
        finally:
            self.center_scroll = False

    def reveal(self, steps: list[ShakStep]) -> TreeNode[ShakItem] | None:
        """Expand the path to a code, loading the pages that hold it, and put the cursor on it."""
        container: TreeNode[ShakItem] = self.root
        for step in steps:
            child = self._child_by_key(container, step.key)
            if child is None:
                self.fill(container, step.page)
                child = self._child_by_key(container, step.key)
                if child is None:
                    return None
            if container is not self.root:
                container.expand()
            container = child
        self.move_to(container, center=True)
        self.call_after_refresh(self.move_to, container, True)  # again once a tree just shown has its size
        return container

    def cursor_code(self) -> str | None:
        node = self.cursor_node
        return node.data.code if node is not None and node.data is not None else None
