"""A Tree whose levels are SQL pages, read by thread workers when a node is first expanded.

Shared by the organisation tree and the SHAK tree. A level shows "loading…" while its
worker runs; a level wider than a page gets "… N more" / "… N earlier" nodes that load
the next page. Subclasses say how to read a page and how to show an item.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode, UnknownNodeID

from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import fit
from sortui.widgets.source import Source

LOADING = "loading…"


class PagedItem(Protocol):
    """What a node of a paged tree carries: its kind and key, and for containers the window loaded."""

    kind: str
    key: str
    title: str
    start: int
    end: int
    total: int
    loaded: bool
    loading: bool


class PageLike(Protocol):
    start: int
    total: int


ItemT = TypeVar("ItemT", bound=PagedItem)
PageT = TypeVar("PageT", bound=PageLike)


def navigation_bindings(prefix: str, open_description: str) -> list[Binding]:
    """The movement keys every paged tree has, with ids ``<prefix>.down`` etc."""
    return [
        Binding("j,down", "cursor_down", "Down", show=False, id=f"{prefix}.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id=f"{prefix}.up"),
        Binding("l,right", "open_or_child", "Expand, or go to the first child", show=False, id=f"{prefix}.expand"),
        Binding("h,left", "close_or_parent", "Collapse, or go to the parent", show=False, id=f"{prefix}.collapse"),
        Binding("g,home", "scroll_home", "First line", show=False, id=f"{prefix}.first"),
        Binding("G,end", "scroll_end", "Last line", show=False, id=f"{prefix}.last"),
        Binding("pageup", "page_up", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id=f"{prefix}.page_down"),
        Binding("enter", "activate", open_description, show=False, id=f"{prefix}.open"),
        Binding("space", "screen.toggle_mark", "Mark or unmark the row", show=False, id=f"{prefix}.mark"),
    ]


def fit_label(tree: Tree[Any], node: TreeNode[Any], label: Text) -> Text:
    """A tree line's label cut to the room the line has (the tree's width less the guides), with ``…``
    and never in the middle of a code."""
    depth, up = 0, node
    while up.parent is not None:
        depth, up = depth + 1, up.parent
    indent = tree.guide_depth * max(0, depth - (0 if tree.show_root else 1))
    width = tree.scrollable_content_region.width  # without the scroll bar
    return fit(label, width - indent) if width else label


class PagedTree(Tree[ItemT], Generic[ItemT, PageT]):
    """A lazily loaded, paged tree. Subclasses implement the hooks in the last section."""

    PAGE = 200

    class PageLoaded(Message):
        """A worker read a page of a node's children."""

        def __init__(self, node_id: int | None, page: Any, generation: int, mode: str) -> None:
            super().__init__()
            self.node_id = node_id
            self.page = page
            self.generation = generation
            self.mode = mode

    def __init__(self, label: str, root: ItemT, source: Source, **kwargs: Any) -> None:
        super().__init__(label, data=root, **kwargs)
        self.source = source
        self.generation = 0
        self._open_when_loaded: TreeNode[ItemT] | None = None  # "go to the first child" typed during a load
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2

    def render_label(self, node: TreeNode[ItemT], base_style: Style, style: Style) -> Text:
        return fit_label(self, node, super().render_label(node, base_style, style))

    def reset_root(self) -> None:
        """Forget everything loaded; pages still being read for the old tree are ignored."""
        self.generation += 1
        self.clear()
        root = self.root.data
        assert root is not None
        root.loaded = root.loading = False

    # -- loading ---------------------------------------------------------------

    def _load(self, node: TreeNode[ItemT], offset: int, mode: str) -> None:
        item = node.data
        assert item is not None
        item.loading = True
        if mode == "replace" and not node.children:
            node.add_leaf(Text(LOADING, style="italic dim"), self.marker("loading", "loading", LOADING))
        node_id = None if node is self.root else node.id  # Tree.clear() gives the new root a stale id
        self._fetch(node_id, self.page_query(node), offset, self.generation, mode)

    @work(thread=True, group="tree-pages")
    @reports_errors
    def _fetch(self, node_id: int | None, query: Any, offset: int, generation: int, mode: str) -> None:
        with self.source.connection() as conn:
            page = self.fetch_page(conn, query, offset)
            extra = self.after_fetch(conn, query, page, mode)
        self.post_message(self.PageLoaded(node_id, page, generation, mode))
        for message in extra:
            self.post_message(message)

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
        if message.mode == "replace":
            if item.loaded:
                return
            self.fill(node, message.page)
        elif message.mode == "append" and item.end == message.page.start:
            self._append(node, message.page)
        elif message.mode == "prepend":
            self._prepend(node, message.page)
        self.level_loaded(node)
        if node is self._open_when_loaded:
            self._open_when_loaded = None
            if self.cursor_node is node and node.children:
                self.move_to(node.children[0])

    def fill(self, node: TreeNode[ItemT], page: PageT) -> None:
        """Make ``page`` the children of ``node``."""
        item = node.data
        assert item is not None
        node.remove_children()
        children = self.page_children(page)
        item.start, item.end, item.total, item.loaded = page.start, page.start + len(children), page.total, True
        if item.start > 0:
            self._add_earlier(node, before=None)
        for child in children:
            self._add_item(node, child)
        self._add_more(node)
        if not children:
            title = self.empty_title(node)
            node.add_leaf(Text(title, style="italic dim"), self.marker("note", "empty", title))

    def _append(self, node: TreeNode[ItemT], page: PageT) -> None:
        item = node.data
        assert item is not None
        more = self._child_by_key(node, "more")
        if more is not None:
            more.remove()
        children = self.page_children(page)
        added = [self._add_item(node, child) for child in children]
        item.end, item.total = page.start + len(children), page.total
        self._add_more(node)
        if added:
            self.move_to(added[0])

    def _prepend(self, node: TreeNode[ItemT], page: PageT) -> None:
        item = node.data
        assert item is not None
        earlier = self._child_by_key(node, "earlier")
        children = self.page_children(page)
        if earlier is None or page.start + len(children) != item.start:
            return
        earlier.remove()
        anchor = node.children[0] if node.children else None
        added = [self._add_item(node, child, before=anchor) for child in children]
        item.start = page.start
        if item.start > 0:
            self._add_earlier(node, before=node.children[0])
        if added:
            self.move_to(added[-1])

    def _add_item(self, node: TreeNode[ItemT], child: ItemT, before: TreeNode[ItemT] | None = None) -> TreeNode[ItemT]:
        label = self.label(child)
        if self.expandable(child):
            return node.add(label, child, before=before)
        return node.add_leaf(label, child, before=before)

    def _add_more(self, node: TreeNode[ItemT]) -> None:
        item = node.data
        assert item is not None
        left = item.total - item.end
        if left > 0:
            title = f"… {left:,} more"
            node.add_leaf(Text(title, style="italic dim"), self.marker("more", "more", title))

    def _add_earlier(self, node: TreeNode[ItemT], before: TreeNode[ItemT] | None) -> None:
        item = node.data
        assert item is not None
        title = f"… {item.start:,} earlier"
        node.add_leaf(Text(title, style="italic dim"), self.marker("earlier", "earlier", title), before=before)

    @staticmethod
    def _child_by_key(node: TreeNode[ItemT], key: str) -> TreeNode[ItemT] | None:
        return next((c for c in node.children if c.data is not None and c.data.key == key), None)

    # -- expanding, paging, revealing ---------------------------------------------

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[ItemT]) -> None:
        event.stop()
        self._ensure_loaded(event.node)

    def _ensure_loaded(self, node: TreeNode[ItemT]) -> None:
        item = node.data
        if item is not None and self.expandable(item) and not item.loaded and not item.loading:
            self._load(node, 0, "replace")

    def _load_page(self, node: TreeNode[ItemT]) -> None:
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
            self._load(parent, max(0, container.start - self.PAGE), "prepend")

    def action_activate(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.data.kind in ("more", "earlier"):
            self._load_page(node)
        elif node.allow_expand:
            node.toggle()
            self._ensure_loaded(node)
        else:
            self.activate_leaf(node.data)

    def action_open_or_child(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.data.kind in ("more", "earlier"):
            self._load_page(node)
        elif node.allow_expand and not node.is_expanded:
            node.expand()
            self._ensure_loaded(node)
        elif node.data.loading:
            self._open_when_loaded = node
        elif node.is_expanded and node.children:
            self.move_to(node.children[0])

    def action_close_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_to(node.parent)

    def move_to(self, node: TreeNode[ItemT], center: bool = False) -> None:
        """Put the cursor on ``node`` (the tree's lines are rebuilt first if nodes were added)."""
        _ = self.last_line  # rebuilds the line cache, which gives new nodes their line numbers
        self.move_cursor(node)
        self.center_scroll = center
        try:
            self.scroll_to_node(node, animate=False)
        finally:
            self.center_scroll = False

    def reveal_steps(self, steps: list[Any]) -> TreeNode[ItemT] | None:
        """Expand the path given by ``steps`` (each with ``key`` and the ``page`` holding it); cursor on the end."""
        container: TreeNode[ItemT] = self.root
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

    # -- hooks for subclasses ----------------------------------------------------

    def page_query(self, node: TreeNode[ItemT]) -> Any:
        """What the worker needs to read ``node``'s children (captured on the UI thread)."""
        raise NotImplementedError

    def fetch_page(self, conn: Any, query: Any, offset: int) -> PageT:
        """Read one page of children (runs in a thread worker)."""
        raise NotImplementedError

    def after_fetch(self, conn: Any, query: Any, page: PageT, mode: str) -> list[Message]:
        """Further messages to post after a page was read (runs in the worker)."""
        return []

    def page_children(self, page: PageT) -> list[ItemT]:
        raise NotImplementedError

    def label(self, item: ItemT) -> Text:
        raise NotImplementedError

    def expandable(self, item: ItemT) -> bool:
        raise NotImplementedError

    def marker(self, kind: str, key: str, title: str) -> ItemT:
        """An item for a "loading…", "… more", "… earlier" or empty-level line."""
        raise NotImplementedError

    def empty_title(self, node: TreeNode[ItemT]) -> str:
        return "(none)"

    def level_loaded(self, node: TreeNode[ItemT]) -> None:
        """Called after a page of ``node``'s children was shown."""

    def activate_leaf(self, item: ItemT) -> None:
        """Enter on a node without children."""
