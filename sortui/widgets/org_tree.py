"""The organisation tree: owner types → owners → institutions → units, loaded lazily.

Each level is read by a thread worker (``treedata.fetch_page``) when a node is
first expanded, shown meanwhile with a "loading…" placeholder; wide levels come
in pages with "… N more" / "… N earlier" nodes that load the next page.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode, UnknownNodeID

from sortui.store.queries import Node
from sortui.widgets import treedata
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source
from sortui.widgets.treedata import Item, Level, Located, Page

LOADING = "loading…"
PENDING_MARK = "✎"  # after the label of a unit (or its own location number) with pending edits


def validity_note(node: Node, on: str) -> str | None:
    """Why ``node`` is not valid on ``on`` (None when it is)."""
    if node.to_date and node.to_date < on:
        return f"lukket {node.to_date}"
    if node.from_date and node.from_date > on:
        return f"gyldig fra {node.from_date}"
    return None


def has_pending(item: Item, pending: set[str]) -> bool:
    """Whether the unit of ``item`` or its own location number has pending edits in the journal."""
    node = item.node
    return node is not None and (node.sor_id in pending or (node.own_gln or "") in pending)


def item_label(item: Item, on: str, pending: bool = False) -> Text:
    """The tree line of ``item``: name, child count, kind, SHAK code, own location number, validity."""
    if item.kind == "group":
        return Text.assemble((item.title, "bold"), (f" ({item.count:,})", "dim"))
    if item.kind in ("more", "earlier", "loading"):
        return Text(item.title, style="italic dim")
    node = item.node
    assert node is not None
    label = Text(clean(node.name))
    if node.child_count:
        label.append(f" ({node.child_count:,})", style="dim")
    label.append(f"  {node.kind}", style="dim")
    if node.shak_code:
        label.append(f"  SHAK {clean(node.shak_code)}")
    if node.own_gln:
        label.append(f"  lok {clean(node.own_gln)}", style="dim")
    note = validity_note(node, on)
    if note:
        label.append(f"  ({note})")
        label.stylize("dim strike")
    if pending:
        label.append(f" {PENDING_MARK}", style="bold")
    return label


class OrgTree(Tree[Item]):
    """The organisation tree of the working copy."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("l,right", "open_or_child", "Expand, or go to the first child", show=False, id="tree.expand"),
        Binding("h,left", "close_or_parent", "Collapse, or go to the parent", show=False, id="tree.collapse"),
        Binding("g,home", "scroll_home", "First line", show=False, id="tree.first"),
        Binding("G,end", "scroll_end", "Last line", show=False, id="tree.last"),
        Binding("pageup", "page_up", "Page up", show=False, id="tree.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="tree.page_down"),
        Binding("enter", "activate", "Expand or collapse; load a page", show=False, id="tree.open"),
        Binding("space", "activate", "Expand or collapse", show=False, id="tree.toggle"),
        Binding("escape", "cursor_parent", "Back to the parent", show=False, id="tree.back"),
        Binding("c", "screen.toggle_closed", "Closed", tooltip="Show or hide closed units", id="tree.toggle_closed"),
    ]

    class PageLoaded(Message):
        """A worker read a page of a node's children."""

        def __init__(self, node_id: int | None, page: Page, generation: int, mode: str) -> None:
            super().__init__()
            self.node_id = node_id
            self.page = page
            self.generation = generation
            self.mode = mode

    class Ready(Message):
        """The top level is loaded."""

    def __init__(self, source: Source, view_date: str, show_closed: bool = False, **kwargs: object) -> None:
        super().__init__("SOR", data=Item("group", "root", treedata.ROOT, title="SOR"), **kwargs)  # type: ignore[arg-type]
        self.source = source
        self.view_date = view_date
        self.show_closed = show_closed
        self.generation = 0
        self._open_when_loaded: TreeNode[Item] | None = None  # "go to the first child" typed during a load
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2
        self.pending: set[str] = set()  # SOR ids and GLNs with pending edits (journal.pending_keys)

    @property
    def filter_date(self) -> str | None:
        """The date the queries filter on: none when closed units are shown (they are dimmed instead)."""
        return None if self.show_closed else self.view_date

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Forget everything loaded and read the top level again."""
        self.generation += 1
        self.unselect()  # the cursor is set again after the reload, so the detail panel follows it
        self.clear()
        root_item = self.root.data
        assert root_item is not None
        root_item.loaded = root_item.loading = False
        self._load(self.root, 0, "replace")

    # -- loading ---------------------------------------------------------------

    def _load(self, node: TreeNode[Item], offset: int, mode: str) -> None:
        item = node.data
        assert item is not None and item.level is not None
        item.loading = True
        if mode == "replace" and not node.children:
            node.add_leaf(Text(LOADING, style="italic dim"), Item("loading", "loading", title=LOADING))
        node_id = None if node is self.root else node.id  # Tree.clear() gives the new root a stale id
        self._fetch(node_id, item.level, offset, self.filter_date, self.generation, mode)

    @work(thread=True, group="tree")
    @reports_errors
    def _fetch(
        self, node_id: int | None, level: Level, offset: int, on: str | None, generation: int, mode: str
    ) -> None:
        with self.source.connection() as conn:
            page = treedata.fetch_page(conn, level, offset, on)
        self.post_message(self.PageLoaded(node_id, page, generation, mode))

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
        if node is self.root:
            self.post_message(self.Ready())
        elif node is self._open_when_loaded:
            self._open_when_loaded = None
            if self.cursor_node is node and node.children:
                self.move_to(node.children[0])

    def fill(self, node: TreeNode[Item], page: Page) -> None:
        """Make ``page`` the children of ``node``."""
        item = node.data
        assert item is not None
        node.remove_children()
        item.start, item.end, item.total, item.loaded = page.start, page.start + len(page.items), page.total, True
        if item.start > 0:
            self._add_earlier(node, before=None)
        for child in page.items:
            self._add_item(node, child)
        self._add_more(node)
        if not page.items:
            node.add_leaf(Text("(ingen enheder)", style="italic dim"), Item("loading", "empty", title="(ingen)"))

    def _append(self, node: TreeNode[Item], page: Page) -> None:
        item = node.data
        assert item is not None
        more = self._child_by_key(node, "more")
        if more is not None:
            more.remove()
        first = None
        for child in page.items:
            added = self._add_item(node, child)
            first = first or added
        item.end, item.total = page.start + len(page.items), page.total
        self._add_more(node)
        if first is not None:
            self.move_to(first)

    def _prepend(self, node: TreeNode[Item], page: Page) -> None:
        item = node.data
        assert item is not None
        earlier = self._child_by_key(node, "earlier")
        page_end = page.start + len(page.items)
        if earlier is None or page_end != item.start:
            return
        earlier.remove()
        anchor = node.children[0] if node.children else None
        last = None
        for child in page.items:
            last = self._add_item(node, child, before=anchor)
        item.start = page.start
        if item.start > 0:
            self._add_earlier(node, before=node.children[0])
        if last is not None:
            self.move_to(last)

    def _add_item(self, node: TreeNode[Item], child: Item, before: TreeNode[Item] | None = None) -> TreeNode[Item]:
        label = item_label(child, self.view_date, has_pending(child, self.pending))
        if child.level is None:
            return node.add_leaf(label, child, before=before)
        return node.add(label, child, before=before)

    def _add_more(self, node: TreeNode[Item]) -> None:
        item = node.data
        assert item is not None
        left = item.total - item.end
        if left > 0:
            more = Item("more", "more", title=f"… {left:,} more")
            node.add_leaf(item_label(more, self.view_date), more)

    def _add_earlier(self, node: TreeNode[Item], before: TreeNode[Item] | None) -> None:
        item = node.data
        assert item is not None
        earlier = Item("earlier", "earlier", title=f"… {item.start:,} earlier")
        node.add_leaf(item_label(earlier, self.view_date), earlier, before=before)

    @staticmethod
    def _child_by_key(node: TreeNode[Item], key: str) -> TreeNode[Item] | None:
        return next((c for c in node.children if c.data is not None and c.data.key == key), None)

    # -- expanding, paging, revealing ---------------------------------------------

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[Item]) -> None:
        self._ensure_loaded(event.node)

    def _ensure_loaded(self, node: TreeNode[Item]) -> None:
        item = node.data
        if item is not None and item.level is not None and not item.loaded and not item.loading:
            self._load(node, 0, "replace")

    def _load_page(self, node: TreeNode[Item]) -> None:
        """Load the page a "more" or "earlier" node stands for."""
        item, parent = node.data, node.parent
        if item is None or parent is None or parent.data is None or item.title == LOADING:
            return
        container = parent.data
        item.title = LOADING
        node.set_label(item_label(item, self.view_date))
        if item.kind == "more":
            self._load(parent, container.end, "append")
        else:
            self._load(parent, max(0, container.start - treedata.PAGE), "prepend")

    def action_activate(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.data.kind in ("more", "earlier"):
            self._load_page(node)
        elif node.allow_expand:
            node.toggle()
            self._ensure_loaded(node)

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

    def move_to(self, node: TreeNode[Item], center: bool = False) -> None:
        """Put the cursor on ``node`` (the tree's lines are rebuilt first if nodes were added)."""
        _ = self.last_line  # rebuilds the line cache, which gives new nodes their line numbers
        self.move_cursor(node)
        self.center_scroll = center
        try:
            self.scroll_to_node(node, animate=False)
        finally:
            self.center_scroll = False

    def reveal(self, located: Located) -> TreeNode[Item] | None:
        """Expand the path to a unit, loading the pages that hold it, and put the cursor on it."""
        container: TreeNode[Item] = self.root
        for step in located.steps:
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
        return container

    def set_pending(self, keys: set[str]) -> None:
        """Mark the units with pending edits (relabels the loaded nodes whose mark changed)."""
        old, self.pending = self.pending, set(keys)
        for node in self._unit_nodes():
            item = node.data
            assert item is not None
            if has_pending(item, old) != has_pending(item, self.pending):
                node.set_label(item_label(item, self.view_date, has_pending(item, self.pending)))

    def update_units(self, nodes: dict[str, Node]) -> None:
        """New rows for loaded units (after an edit): their labels follow."""
        for tree_node in self._unit_nodes():
            item = tree_node.data
            assert item is not None
            fresh = nodes.get(item.key)
            if fresh is not None:
                item.node, item.title = fresh, fresh.name
                tree_node.set_label(item_label(item, self.view_date, has_pending(item, self.pending)))

    def _unit_nodes(self) -> list[TreeNode[Item]]:
        found, stack = [], list(self.root.children)
        while stack:
            node = stack.pop()
            if node.data is not None and node.data.kind == "unit":
                found.append(node)
            stack.extend(node.children)
        return found

    def cursor_item(self) -> Item | None:
        node = self.cursor_node
        return node.data if node is not None else None
