"""The organisation tree: owner types → owners → institutions → units, loaded lazily.

Each level is read by a thread worker (``treedata.fetch_page``) when a node is
first expanded (the paging itself is ``PagedTree``'s).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Container
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets.tree import TreeNode

from sortui.store.queries import Node
from sortui.store.tree_filter import FilterClosed, FilterTable
from sortui.widgets import treedata
from sortui.widgets.marks import marked_prefix
from sortui.widgets.paged_tree import PagedTree, navigation_bindings
from sortui.widgets.safe import clean
from sortui.widgets.source import Source
from sortui.widgets.treedata import Item, Level, Located, Page

AUTO_OPEN = 60  # a filtered tree opens this many levels by itself (the user opens the rest) …
OPEN_LINES = 400  # … among its first lines
PENDING_MARK = "✎"  # after the label of a unit (or its own location number) with pending edits
CHANGED_MARK = "●"  # before the label of a unit the last import changed, until the user has looked at it


def validity_note(node: Node, on: str) -> str | None:
    """Why ``node`` is not valid on ``on`` (None when it is)."""
    if node.to_date and node.to_date < on:
        return f"closed {node.to_date}"
    if node.from_date and node.from_date > on:
        return f"from {node.from_date}"
    return None


def has_pending(item: Item, pending: set[str]) -> bool:
    """Whether the unit of ``item`` or its own lokationsnummer has pending edits in the journal."""
    node = item.node
    return node is not None and (node.sor_id in pending or (node.own_gln or "") in pending)


def item_label(item: Item, on: str, pending: bool = False, changed: bool = False, marked: bool = False) -> Text:
    """The tree line of ``item``: (◆ when marked, ● when the last import changed it) name, child count,
    kind, SHAK-kode, own lokationsnummer, validity."""
    if item.kind == "group":
        return Text.assemble((item.title, "bold"), (f" ({item.count:,})", "dim"))
    if item.kind in ("more", "earlier", "loading"):
        return Text(item.title, style="italic dim")
    node = item.node
    assert node is not None
    label = marked_prefix(marked)
    if changed:
        label.append(f"{CHANGED_MARK} ", style="bold yellow")
    label.append(clean(node.name))
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


class OrgTree(PagedTree[Item, Page]):
    """The organisation tree of the working copy."""

    PAGE = treedata.PAGE
    BINDINGS: ClassVar[list[BindingType]] = [
        *navigation_bindings("tree", "Expand or collapse; load a page"),
        Binding("escape", "back", "Back to the parent (filtered: the whole tree)", show=False, id="tree.back"),
        Binding("c", "screen.toggle_closed", "Closed", tooltip="Show or hide closed units", id="tree.toggle_closed"),
    ]

    class Ready(Message):
        """The top level is loaded."""

    class FilterLeft(Message):
        """``esc`` on a filtered tree: back to the whole tree."""

    def __init__(self, source: Source, view_date: str, show_closed: bool = False, **kwargs: Any) -> None:
        super().__init__("SOR", Item("group", "root", treedata.ROOT, title="SOR"), source, **kwargs)
        self.view_date = view_date
        self.show_closed = show_closed
        self.pending: set[str] = set()  # SOR ids and GLNs with pending edits (journal.pending_keys)
        self.changed: set[str] = set()  # SOR ids the last import changed, not seen yet (diff.unseen_units)
        self.marked: Container[str] = frozenset()  # SOR ids the user marked (the main screen's ``marks``)
        self.filter: FilterTable | None = None  # the tree shows only what this filter keeps
        self._opened = 0  # levels a filter opened by itself (at most AUTO_OPEN)
        # the first match in the filtered tree, where the cursor was put (False: the user has moved it since)
        self._placed: TreeNode[Item] | bool | None = None
        self._opening: TreeNode[Item] | None = None  # the level the filter opened, loading
        self._to_expand: set[tuple[str, ...]] = set()  # paths of keys to expand when loaded (a session restored)

    @property
    def filter_date(self) -> str | None:
        """The date the queries filter on: none when closed units are shown (they are dimmed instead)."""
        return None if self.show_closed else self.view_date

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Forget everything loaded and read the top level again."""
        self.unselect()  # the cursor is set again after the reload, so the detail panel follows it
        self.reset_root()
        self._opened, self._placed, self._opening = 0, None, None
        self._load(self.root, 0, "replace")

    def set_filter(self, table: FilterTable | None) -> None:
        """Show only the units ``table`` keeps, their levels opened (None: the whole tree again)."""
        old, self.filter = self.filter, table
        if old is not None:  # in a worker: it waits for a page being read on it
            self.run_worker(old.close, thread=True, group="filter-close")
        self.reload()

    def on_unmount(self) -> None:
        if self.filter is not None:
            self.filter.close()

    def action_back(self) -> None:
        if self.filter is not None:
            self.post_message(self.FilterLeft())
        else:
            self.action_cursor_parent()

    # -- PagedTree hooks ----------------------------------------------------------

    def page_query(self, node: TreeNode[Item]) -> tuple[Level, str | None, FilterTable | None]:
        assert node.data is not None and node.data.level is not None
        return node.data.level, self.filter_date, self.filter

    def fetch_page(
        self, conn: sqlite3.Connection, query: tuple[Level, str | None, FilterTable | None], offset: int
    ) -> Page:
        level, on, table = query
        if table is None:
            return treedata.fetch_page(conn, level, offset, on)
        try:
            with table.connection() as filtered:  # its temporary tables are on a connection of its own
                return treedata.fetch_page(filtered, level, offset, on, filtered=True)
        except FilterClosed:  # cleared meanwhile: the page is for a tree no longer shown
            return Page(level, [], offset, 0)

    def page_children(self, page: Page) -> list[Item]:
        return page.items

    def label(self, item: Item) -> Text:
        sor_id = item.sor_id
        marked = sor_id is not None and sor_id in self.marked
        label = item_label(item, self.view_date, has_pending(item, self.pending), sor_id in self.changed, marked)
        if item.context:  # kept by a filter for the matches below it
            label.stylize("dim")
        return label

    def expandable(self, item: Item) -> bool:
        return item.level is not None

    def marker(self, kind: str, key: str, title: str) -> Item:
        return Item("loading" if kind == "note" else kind, key, title=title)

    def empty_title(self, node: TreeNode[Item]) -> str:
        return "(no units)"

    def level_loaded(self, node: TreeNode[Item]) -> None:
        if node is self.root:
            self.post_message(self.Ready())
        if self.filter is not None:
            self._open_filtered(node)
        self._expand_remembered(node)

    def _open_filtered(self, loaded: TreeNode[Item]) -> None:
        """A filtered level came in: open the next level leading to matches in the order of the lines, one
        at a time (as many as ``AUTO_OPEN``, within the first ``OPEN_LINES`` lines: the top of the tree
        is filled first), and keep the cursor on the first match shown until the user moves it."""
        if loaded is self._opening:
            self._opening = None
        first_match = None
        for number, line in enumerate(self._tree_lines):
            node, item = line.node, line.node.data
            if item is None or number >= OPEN_LINES:
                break
            if first_match is None and item.kind == "unit" and not item.context:
                first_match = node
            closed = item.level is not None and node.allow_expand and not node.is_expanded and not item.loaded
            if closed and self._opening is None and self._opened < AUTO_OPEN:
                self._opened += 1
                self._opening = node
                node.expand()
                self._ensure_loaded(node)
        if first_match is not None:
            self._place_cursor(first_match)

    def _place_cursor(self, node: TreeNode[Item]) -> None:
        if self._placed is False or (self._placed is not None and self.cursor_node is not self._placed):
            self._placed = False  # the user moved the cursor: it stays where they put it
            return
        self._placed = node
        self.move_to(node)  # again as lines come in above it

    def fill(self, node: TreeNode[Item], page: Page) -> None:
        super().fill(node, page)
        self._expand_remembered(node)  # also a level filled on the way to a unit

    # -- expanded nodes, by the keys of their paths (a session remembered) ------------------------

    def expanded_paths(self, limit: int) -> list[list[str]]:
        """The paths of keys of the expanded nodes (at most ``limit``), parents before children."""
        found: list[list[str]] = []
        queue: deque[tuple[TreeNode[Item], list[str]]] = deque([(self.root, [])])
        while queue and len(found) < limit:
            node, path = queue.popleft()
            for child in node.children:
                item = child.data
                if item is not None and item.level is not None and child.is_expanded and len(found) < limit:
                    found.append([*path, item.key])
                    queue.append((child, found[-1]))
        return found

    def restore_expanded(self, paths: list[list[str]]) -> None:
        """Expand the nodes of ``paths`` as their levels are loaded."""
        self._to_expand = {tuple(p) for p in paths}

    def _expand_remembered(self, node: TreeNode[Item]) -> None:
        if not self._to_expand:
            return
        path = _key_path(node)
        for child in node.children:
            key = (*path, child.data.key) if child.data is not None else None
            if key in self._to_expand and child.allow_expand:
                self._to_expand.discard(key)
                child.expand()
                self._ensure_loaded(child)

    def reveal(self, located: Located) -> TreeNode[Item] | None:
        """Expand the path to a unit, loading the pages that hold it, and put the cursor on it."""
        return self.reveal_steps(located.steps)

    def set_pending(self, keys: set[str]) -> None:
        """Mark the units with pending edits (relabels the loaded nodes whose mark changed)."""
        old, self.pending = self.pending, set(keys)
        self._relabel(lambda item: has_pending(item, old) != has_pending(item, self.pending))

    def set_changed(self, sor_ids: set[str]) -> None:
        """Mark the units the last import changed that the user has not seen yet."""
        old, self.changed = self.changed, set(sor_ids)
        self._relabel(lambda item: (item.sor_id in old) != (item.sor_id in self.changed))

    def relabel_units(self, sor_ids: Container[str]) -> None:
        """Draw the loaded lines of ``sor_ids`` again (their marks changed)."""
        self._relabel(lambda item: item.sor_id in sor_ids)

    def visible_units(self) -> list[str]:
        """The SOR-koder of the units on the tree's lines: loaded, and every node above them expanded."""
        found: list[str] = []
        stack = list(reversed(self.root.children))
        while stack:
            node = stack.pop()
            item = node.data
            if item is not None and item.kind == "unit" and item.sor_id is not None:
                found.append(item.sor_id)
            if node.is_expanded:
                stack.extend(reversed(node.children))
        return found

    def _relabel(self, differs: Callable[[Item], bool]) -> None:
        for node in self._unit_nodes():
            item = node.data
            assert item is not None
            if differs(item):
                node.set_label(self.label(item))

    def update_units(self, nodes: dict[str, Node]) -> None:
        """New rows for loaded units (after an edit): their labels follow."""
        for tree_node in self._unit_nodes():
            item = tree_node.data
            assert item is not None
            fresh = nodes.get(item.key)
            if fresh is not None:
                item.node, item.title = fresh, fresh.name
                tree_node.set_label(self.label(item))

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


def _key_path(node: TreeNode[Item]) -> tuple[str, ...]:
    """The keys of the nodes from the top level down to ``node`` (the root has none)."""
    keys: list[str] = []
    while node.parent is not None and node.data is not None:
        keys.append(node.data.key)
        node = node.parent
    return tuple(reversed(keys))
