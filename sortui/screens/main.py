"""The main screen: organisation tree, detail panel, search, status bar and footer."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, OptionList, Tree

from sortui.domain.text import printable
from sortui.domain.words import plural
from sortui.generator.demo import is_demo_snapshot
from sortui.screens.edit_actions import EditActions
from sortui.screens.export_actions import ExportActions
from sortui.screens.import_actions import ImportActions
from sortui.screens.navigation import NavigationScreen
from sortui.screens.shak import ORGANISATION_TAB, TABS
from sortui.screens.sync_actions import SyncActions
from sortui.store import diff, journal, queries
from sortui.store.lookup import Target, go_to_target
from sortui.store.search import Hit
from sortui.widgets import treedata
from sortui.widgets.detail_panel import DetailPanel
from sortui.widgets.guard import reports_errors
from sortui.widgets.history import UNIT, Place
from sortui.widgets.marks import Marks
from sortui.widgets.org_tree import OrgTree
from sortui.widgets.pane_tabs import PaneTabs
from sortui.widgets.safe import clean
from sortui.widgets.search_pane import HitList, SearchInput, SearchPane
from sortui.widgets.session import SessionState
from sortui.widgets.shak_detail import ShakDetail
from sortui.widgets.shak_nav import ShakPane
from sortui.widgets.source import Source
from sortui.widgets.status_bar import Status, StatusBar
from sortui.widgets.treedata import Item, Located

PANE_NAMES = {
    OrgTree: "Organisation tree",
    DetailPanel: "Detail panel",
    SearchPane: "Search",
    ShakPane: "SHAK navigator",
    ShakDetail: "SHAK detail",
}


def pending_edits(conn: sqlite3.Connection) -> int:
    """Edits in the local journal not yet sent to the central service."""
    return journal.pending_count(conn)


class MainScreen(NavigationScreen):
    """Tree on the left (on top when narrow), search and details on the right (below)."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", tooltip="Search names, codes and addresses", id="app.search"),
        Binding("f", "search_under", "Search under the cursor", show=False, id="app.search_under"),
        Binding(
            "colon",
            "goto",
            "Go to",
            tooltip="Go to a SOR-kode, lokationsnummer, SHAK-kode or ydernummer",
            id="app.goto",
        ),
        Binding("n", "next_hit", "Next search hit", show=False, id="app.next_hit"),
        Binding("N", "previous_hit", "Previous search hit", show=False, id="app.previous_hit"),
        Binding("d", "set_date", "Date", tooltip="View the register on another date", id="app.date"),
        Binding("y", "copy_id", "Copy the SOR-kode under the cursor", show=False, id="app.copy_id"),
        Binding("Y", "copy_gln", "Copy the lokationsnummer (GLN) under the cursor", show=False, id="app.copy_gln"),
        Binding("C", "copy_row", "Copy the row under the cursor as text", show=False, id="app.copy_row"),
        Binding("D", "copy_details", "Copy the detail panel as text", show=False, id="app.copy_details"),
        Binding("question_mark,f1", "help", "Help", tooltip="Keys of the focused pane", id="app.help"),
        Binding("z", "zoom", "Maximise the focused pane (z again: back)", show=False, id="app.zoom"),
        Binding("i", "toggle_details", "Show or hide the detail panel", show=False, id="app.details"),
        Binding("e", "edit_op('edit')", "Edit", tooltip="Edit the unit under the cursor", id="app.edit"),
        Binding("a", "edit_op('create')", "New unit under the cursor", show=False, id="app.create"),
        Binding("X", "edit_op('close')", "Close the unit (set Gyldig til)", show=False, id="app.close_unit"),
        Binding("m", "edit_op('move')", "Move the unit with its subtree", show=False, id="app.move"),
        Binding("L", "edit_op('ean')", "Lokationsnummer: own or inherited", show=False, id="app.ean"),
        Binding("E", "edit_op('edi')", "EDI message types of the lokationsnummer", show=False, id="app.edi"),
        Binding("B", "edit_op('bulk')", "Bulk add/remove a message type", show=False, id="app.bulk"),
        Binding("P", "edit_op('changes')", "Changes", tooltip="Pending changes: undo, discard", id="app.changes"),
        Binding("R", "reviews", "Review sessions: start (marked units first), resume", show=False, id="app.reviews"),
        Binding("ctrl+e", "export", "Export the marked units or the subtree to a file", show=False, id="app.export"),
        Binding("f5", "sync", "Sync with the central service", show=False, id="app.sync"),
        Binding("I", "import_file", "Import a file into the working copy", show=False, id="app.import"),
        Binding("ctrl+l", "sign_in", "Sign in to the central service", show=False, id="app.sign_in"),
        Binding("w", "what_changed", "What the last import changed", show=False, id="app.what_changed"),
    ]

    class Located(Message):
        def __init__(
            self,
            sor_id: str,
            located: Located | None,
            on: str | None,
            force: bool,
            hit: Hit | None = None,
            visit: bool = False,
        ) -> None:
            super().__init__()
            self.sor_id = sor_id
            self.located = located
            self.on = on
            self.force = force
            self.hit = hit
            self.visit = visit  # a visit: the history records the unit once it is shown

    class Resolved(Message):
        def __init__(self, key: str, target: Target) -> None:
            super().__init__()
            self.key = key
            self.target = target

    class Info(Message):
        def __init__(self, snapshot_date: str | None, pending: int, demo: bool, changed: set[str]) -> None:
            super().__init__()
            self.snapshot_date = snapshot_date
            self.pending = pending
            self.demo = demo
            self.changed = changed  # units the last import changed, not seen yet

    def __init__(
        self,
        source: Source,
        view_date: str,
        label: str | None = None,
        debounce: float = 0.1,
        demo: bool = False,
        session_path: Path | None = None,
        remembered: SessionState | None = None,
    ) -> None:
        """``session_path`` and ``remembered``: see ``NavigationScreen``."""
        super().__init__(session_path, remembered)
        self.source = source
        self.view_date = view_date
        self.label = label
        self.demo = demo
        self.debounce = debounce
        self.hit_index = -1
        # (the unit the cursor was on, the one above it shown instead) while a view date hides the first
        self._kept: tuple[str, str] | None = None
        self._hit_shown: str | None = None  # the hit the counter on the tree's border is about
        self._jumping = False  # a jump to that hit is on its way (the cursor moves for it)
        self._closed_hit: str | None = None  # a closed hit not shown: ``c`` goes there
        self._pending_hit: int | None = None  # ``n`` past the hits loaded: where to go once the next page is in
        self.marks = Marks()  # the units marked with space: bulk actions act on them when there are any

    def compose(self) -> ComposeResult:
        status = Status(
            self.view_date, str(self.source.path), readonly=self.source.readonly, label=self.label, demo=self.demo
        )
        yield StatusBar(status, id="status")
        with Container(id="panes"):
            with Vertical(id="left"):
                yield PaneTabs(TABS, ORGANISATION_TAB, id="tabs")
                with ContentSwitcher(initial=ORGANISATION_TAB, id="left-panes"):
                    tree = OrgTree(self.source, self.view_date, self.show_closed, id="tree")
                    tree.border_title = "Organisation"
                    tree.restore_expanded(self._remembered.expanded)
                    tree.marked = self.marks
                    yield tree
                    yield ShakPane(self.source, self.view_date, id="shak")
            with Vertical(id="right"):
                search = SearchPane(self.source, id="search")
                search.marked = self.marks
                yield search
                yield DetailPanel(self.source, self.debounce, id="detail")
                shak_detail = ShakDetail(self.source, self.debounce, id="shak-detail")
                shak_detail.marked = self.marks
                yield shak_detail
        yield Footer(compact=True)
        yield EditActions(self.source, self.debounce, id="edits")
        yield SyncActions(self.source, id="sync-actions")
        yield ImportActions(self.source, id="import-actions")
        yield ExportActions(self.source, id="export-actions")

    @property
    def detail(self) -> DetailPanel:
        return self.query_one(DetailPanel)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def edits(self) -> EditActions:
        return self.query_one(EditActions)

    def after_edit(self, keys: list[str], structural: bool = False, focus: str | None = None) -> None:
        """Bring the tree, the markers and the details in step with edits of ``keys``."""
        self.edits.after_edit(keys, structural=structural, focus=focus)

    def on_mount(self) -> None:
        self.tree.focus()
        self.refresh_info()

    # -- status ------------------------------------------------------------------

    @work(thread=True, group="info")
    @reports_errors
    def refresh_info(self) -> None:
        with self.source.connection() as conn:
            found = queries.snapshots(conn)
            pending = pending_edits(conn)
            changed = diff.unseen_units(conn)
        sor = next((s for s in found if s["kind"] == "sor"), None)
        demo = self.demo or is_demo_snapshot(s["sha256"] for s in found)  # also the demo an older sortui put here
        self.post_message(self.Info(sor["snapshot_date"] if sor else None, pending, demo, changed))  # type: ignore[arg-type]

    @on(Info)
    def _info(self, message: Info) -> None:
        self.app.demo = message.demo  # type: ignore[attr-defined]  # the other screens' badges say so too
        self.status.set(snapshot_date=message.snapshot_date, pending_edits=message.pending, demo=message.demo)
        self.tree.set_changed(message.changed)

    # -- what the last import changed ------------------------------------------------------

    def action_what_changed(self) -> None:
        """The changes of the last import, by kind and institution; enter goes to the unit."""
        from sortui.screens.what_changed import SHAK_KEY, WhatChangedScreen

        def chosen(key: str | None) -> None:
            if key and key.startswith(SHAK_KEY):
                self.visit_code(key.removeprefix(SHAK_KEY))
            elif key:
                self.visit_unit(key)

        self.app.push_screen(WhatChangedScreen(self.source, lambda _keys: self.refresh_info()), chosen)

    @on(DetailPanel.Shown)
    def _unit_shown(self, message: DetailPanel.Shown) -> None:
        """A unit the last import changed has been looked at: its mark goes (and, unless read-only, for good)."""
        if message.sor_id in self.tree.changed:
            self.tree.set_changed(self.tree.changed - {message.sor_id})
            if not self.source.readonly:
                self._mark_seen(message.sor_id)

    @work(thread=True, group="seen")
    @reports_errors
    def _mark_seen(self, sor_id: str) -> None:
        with self.source.connection() as conn:
            diff.mark_seen(conn, [sor_id])

    def reload(self) -> None:
        """Read everything again (after the working copy was replaced)."""
        self._set_filter(None)
        self.shak_pane.reload()
        self.refresh_info()

    # -- tree and details -----------------------------------------------------------

    @on(OrgTree.Ready)
    def _tree_ready(self) -> None:
        self.call_after_refresh(self.shak_pane.start)  # once the tree is on the screen
        if self.tree.cursor_line < 0 and self.tree.root.children:
            self.tree.move_to(self.tree.root.children[0])
        if self._restore_cursor is not None:
            self.jump_to(self._restore_cursor, force=False)  # as near as the view date allows

    @on(Tree.NodeHighlighted, "#tree")
    def _highlighted(self, event: Tree.NodeHighlighted[Item]) -> None:
        self.detail.show_item(event.node.data, self.view_date)
        item = self.tree.cursor_item()
        if self._hit_shown and not self._jumping and (item is None or item.sor_id != self._hit_shown):
            self._hide_hit_counter()  # the cursor left the hit: the user is elsewhere now

    def action_focus_tree(self) -> None:
        self.tree.focus()

    def _refresh_view(self, notice: str | None = None, go_to: str | None = None) -> None:
        """Reload the tree for a new date or closed setting, keeping the cursor's unit (or ``go_to``) in view."""
        item = self.tree.cursor_item()
        self.app.view_date = self.view_date  # type: ignore[attr-defined]  # the other screens' badges follow
        self.tree.view_date = self.view_date
        self.tree.show_closed = self.show_closed
        self.status.set(view_date=self.view_date, show_closed=self.show_closed)
        self.shak_view_changed()
        if self.tree.filter is not None:  # what it keeps depends on the date: worked out again
            self._run_filter(self.tree.filter.text, self.tree.filter_date, self._unfiltered_unit)
            if notice:
                self.notify(notice, markup=False, timeout=3)
            return
        self.tree.reload()
        keep = go_to or (item.sor_id if item is not None else None)
        if keep and go_to is None and self._kept and self._kept[1] == keep:
            keep = self._kept[0]  # the unit the cursor was on before a view date hid it
        if keep:
            self._jumping = keep == self._hit_shown  # the reload moves the cursor: not a move off the hit
            self.jump_to(keep, force=go_to is not None)
        if notice:
            self.notify(notice, markup=False, timeout=3)

    def action_toggle_closed(self) -> None:
        self.show_closed = not self.show_closed
        closed_hit, self._closed_hit = self._closed_hit, None  # a closed hit the user was told about
        notice = "Closed units shown (dimmed)" if self.show_closed else "Closed units hidden"
        self._refresh_view(notice, closed_hit if self.show_closed else None)

    def action_set_date(self) -> None:
        from sortui.screens.prompts import date_prompt, parse_view_date

        def chosen(value: str | None) -> None:
            new = parse_view_date(value) if value is not None else None
            if new and new != self.view_date:
                self.view_date = new
                self._refresh_view(f"Viewing the register on {new}")

        self.app.push_screen(date_prompt(self.view_date), chosen)

    # -- jumping ------------------------------------------------------------------------

    def jump_to(self, sor_id: str, force: bool = True, hit: Hit | None = None, visit: bool = False) -> None:
        """Expand the path to ``sor_id`` and put the cursor on it; with ``force`` show closed units if needed.

        A search ``hit`` that is not shown (closed, or not valid on the view date) is not: the user is
        told so, and ``c`` (showing closed units) goes there. With ``visit`` the history records it.
        A filtered tree shows the whole tree again first (the unit may not be in the filter).
        """
        if self.tree.filter is not None:
            self._set_filter(None)
        if sor_id != self._restore_cursor:
            self._restore_cursor = None  # the user went elsewhere first
        self._locate(sor_id, self.tree.filter_date, force, hit, visit)

    @work(thread=True, exclusive=True, group="locate")
    @reports_errors
    def _locate(self, sor_id: str, on: str | None, force: bool, hit: Hit | None = None, visit: bool = False) -> None:
        """Where ``sor_id`` is in the tree; without ``force``, where the nearest unit above it that is
        shown is, when it is not (a new view date keeps the cursor as near as it can)."""
        with self.source.connection() as conn:
            located = treedata.locate(conn, sor_id, on) if force else treedata.locate_nearest(conn, sor_id, on)
        self.post_message(self.Located(sor_id, located, on, force, hit, visit))

    @on(Located)
    def _located(self, message: Located) -> None:
        if message.on != self.tree.filter_date:
            self.jump_to(message.sor_id, message.force, message.hit, message.visit)
            return
        self._jumping = False
        found = message.located
        if message.sor_id == self._restore_cursor:
            self._restore_cursor = None  # restored (or gone from the working copy): changes are saved from now on
        if found is None:
            if message.force:
                self.notify(f"SOR-kode {message.sor_id} is not in the working copy", severity="error", markup=False)
            return
        if found.hidden and message.hit is not None:
            self._closed_hit = message.sor_id
            self.notify(_not_shown_text(message.hit, self.view_date), markup=False, timeout=6)
            self.show_tab(ORGANISATION_TAB)
            self.tree.focus()  # where c is
            return
        if found.hidden:
            if message.force:
                self.show_closed = True
                self._refresh_view(f"{message.sor_id} is not valid on {self.view_date}: closed units are shown")
                self.jump_to(message.sor_id, visit=message.visit)
            return
        if message.force:
            self.show_tab(ORGANISATION_TAB)
        self._kept = (message.sor_id, found.sor_id) if found.sor_id != message.sor_id else None
        if self.tree.reveal(found) is not None and message.force:
            self.tree.focus()
        if message.visit:
            self.history.visit(Place(UNIT, message.sor_id))

    def action_goto(self) -> None:
        from sortui.screens.prompts import goto_prompt

        def chosen(value: str | None) -> None:
            if value:
                self._resolve(value)

        self.app.push_screen(goto_prompt(), chosen)

    @work(thread=True, exclusive=True, group="resolve")
    @reports_errors
    def _resolve(self, key: str) -> None:
        with self.source.connection() as conn:
            target = go_to_target(conn, key)
        self.post_message(self.Resolved(key, target))

    @on(Resolved)
    def _resolved(self, message: Resolved) -> None:
        target = message.target
        if target.sor_id is None:
            self.notify(clean(target.note or message.key), severity="error", markup=False)
            return
        if target.note:
            self.notify(clean(target.note), markup=False, timeout=3)
        self.visit_unit(target.sor_id)

    # -- search -------------------------------------------------------------------------

    @property
    def search(self) -> SearchPane:
        return self.query_one(SearchPane)

    def action_search(self) -> None:
        """Search everything."""
        self._open_search(None)

    def action_search_under(self) -> None:
        """Search the unit under the cursor and what is below it."""
        item = self.tree.cursor_item()
        if item is None or item.sor_id is None or item.node is None:
            self.notify("No unit under the cursor to search under", severity="warning", markup=False)
            return
        self._open_search((item.sor_id, item.node.name))

    def _open_search(self, root: tuple[str, str] | None) -> None:
        self.add_class("-searching")
        self.search.search_under(root)
        field = self.query_one(SearchInput)
        field.focus()
        field.select_all()

    def action_close_search(self) -> None:
        self.remove_class("-searching")
        self._hide_hit_counter()
        self.tree.focus()

    def action_focus_hits(self) -> None:
        if self.search.hits:
            self.query_one(HitList).focus()

    @on(SearchPane.Loaded)
    def _hits_loaded(self, message: SearchPane.Loaded) -> None:
        if message.new:  # another search: the counter and ``n`` pointed into the old hits
            self.hit_index, self._pending_hit = -1, None
            self._hide_hit_counter()
        elif self._pending_hit is not None:
            index, self._pending_hit = self._pending_hit, None
            self._go_to_hit(index)

    @on(SearchPane.Chosen)
    def _chosen(self, message: SearchPane.Chosen) -> None:
        self.remove_class("-searching")
        self._go_to_hit(message.index)

    def _go_to_hit(self, index: int) -> None:
        pane = self.search
        hits = pane.hits
        if not hits:
            self.notify("No search hits: press / to search", markup=False, timeout=3)
            return
        if index >= len(hits) and pane.read_more():
            self._pending_hit = index
            return
        self.hit_index = index % len(hits)
        hit = hits[self.hit_index]
        where = f" in {clean(pane.root[1])}" if pane.root else ""
        counter = f"hit {self.hit_index + 1}/{pane.count_text()}: {clean(pane.searched)}{where}"
        self.tree.border_subtitle = Text(counter)  # a name in it is shown, never read as markup
        self._hit_shown, self._jumping, self._closed_hit = hit.sor_id, True, None
        self.visit_unit(hit.sor_id, hit=hit)

    def _hide_hit_counter(self) -> None:
        self._hit_shown = None
        self.tree.border_subtitle = ""

    def action_next_hit(self) -> None:
        self._go_to_hit(self.hit_index + 1)

    def action_previous_hit(self) -> None:
        self._go_to_hit(self.hit_index - 1)

    # -- copy -----------------------------------------------------------------------------

    def action_copy_id(self) -> None:
        item = self.tree.cursor_item()
        if item is None or item.sor_id is None:
            self.notify("No unit under the cursor", severity="warning", markup=False)
            return
        self._copy(item.sor_id, "SOR-kode")

    def action_copy_gln(self) -> None:
        item = self.tree.cursor_item()
        node = item.node if item else None
        gln = node.own_gln if node else None
        if node and not gln and self.detail.key == node.sor_id and self.detail.unit:
            gln = self.detail.unit.get("effective_ean")
        if not gln:
            self.notify("No lokationsnummer under the cursor", severity="warning", markup=False)
            return
        self._copy(gln, "lokationsnummer")

    def action_copy_row(self) -> None:
        """The row under the cursor as text: a search hit's line when the hits have the focus, the SHAK
        navigator's row when it is shown, else the tree's (kind, name, SOR-kode, SHAK, lok)."""
        from sortui.widgets.copy_text import hit_text, tree_row_text

        hits = self.query_one(HitList)
        if self.focused is hits and hits.highlighted is not None and hits.highlighted < len(self.search.hits):
            self._copy(hit_text(self.search.hits[hits.highlighted]), "the search hit")
        elif self.shak_shown():
            row = self._shak_row()
            if row:
                self._copy(row, "the SHAK row")
            else:
                self._nothing("No row under the cursor")
        elif (item := self.tree.cursor_item()) is not None:
            self._copy(tree_row_text(item, self.view_date), "the row")
        else:
            self._nothing("No row under the cursor")

    def _shak_row(self) -> str | None:
        """The line under the cursor in what the SHAK navigator shows (its tree, hits or checks)."""
        shown = self.shak_pane.query_one(f"#{self.shak_pane.mode}")
        label: object = None
        if isinstance(shown, Tree) and shown.cursor_node is not None:
            label = shown.cursor_node.label
        elif isinstance(shown, OptionList) and shown.highlighted is not None:
            label = shown.get_option_at_index(shown.highlighted).prompt
        label = getattr(label, "text", label)  # a hit's line is Fitted around its Text
        return printable(label.plain) if isinstance(label, Text) else None

    def action_copy_details(self) -> None:
        """The detail panel (of the unit, or of the SHAK-kode in the navigator) as plain text."""
        from sortui.widgets.copy_text import panel_text

        if self.shak_shown():
            panel, ready = self.query_one(ShakDetail), True
        else:
            panel, item = self.detail, self.tree.cursor_item()
            ready = item is not None and self.detail.key == item.key
        text = panel_text(panel.text) if ready else ""
        if text:
            self._copy(text, "the details")
        else:
            self._nothing("No details shown to copy (yet)")

    def _nothing(self, text: str) -> None:
        self.notify(text, severity="warning", markup=False, timeout=3)

    def _copy(self, value: str, what: str) -> None:
        """Send ``value`` to the terminal's clipboard (OSC 52) and say how to make that work in tmux."""
        self.app.copy_to_clipboard(value)
        lines = value.splitlines()
        shown = plural(len(lines), "line") if len(lines) > 1 else value if len(value) <= 40 else value[:39] + "…"
        what = f"{what} {shown}" if what in ("SOR-kode", "lokationsnummer") else f"{what} ({shown})"
        self.notify(
            f"Copied {clean(what)}: sent to the terminal by OSC 52. Not there? In tmux: set -g set-clipboard on "
            "(and a terminal that allows OSC 52)",
            markup=False,
            timeout=5,
        )

    # -- help -----------------------------------------------------------------------------

    def action_reviews(self, new: bool = False) -> None:
        """Bulk review sessions (issue 8): the list to resume or delete; ``new`` starts one."""
        from sortui.screens.review import ReviewScreen
        from sortui.screens.review_sessions import ReviewContext, ReviewSessionsScreen

        item = self.tree.cursor_item()
        unit = (item.sor_id, item.node.name) if item and item.sor_id and item.node else None
        pane = self.search
        searched = pane.searched if pane.hits else None
        under = pane.root[0] if pane.root and searched else None
        marked = tuple(self.marks.ids())
        ctx = ReviewContext(self.view_date, unit, searched, pane.count_text() if searched else "", under, marked)
        new = new or bool(marked)  # marks are there to act on: the new session's sources, the marked units first

        def chosen(name: str | None) -> None:
            if not name:
                return
            review = ReviewScreen(self.source, name, self.view_date, self.debounce)

            def reviewed(keys: list[str] | None) -> None:
                left_on = review.unit_shown
                if left_on and (item is None or left_on != item.sor_id):  # [ goes to the unit the review was on
                    self.history.visit(Place(UNIT, left_on))
                    self._record_here()
                if keys:
                    self.edits.after_edit(keys)

            self.app.push_screen(review, reviewed)

        self.app.push_screen(ReviewSessionsScreen(self.source, ctx, new), chosen)

    def action_edit_op(self, op: str) -> None:
        """Editing: ``op`` is one of ``edit_actions.OPS`` (read-only mode refuses them)."""
        self.edits.run(op)

    def action_export(self) -> None:
        """Export the marked units, or the subtree under the cursor, to a file (ctrl+e)."""
        self.query_one(ExportActions).run()

    def action_sync(self) -> None:
        """Push pending edits to the central service and pull others' changes (F5)."""
        self.query_one(SyncActions).run()

    def action_import_file(self) -> None:
        """Import a register file (path prompt with completion; all or nothing, as `sortui import`)."""
        self.query_one(ImportActions).run()

    def work_in_progress(self) -> list[Text]:
        """What quitting would stop (a running import), a sentence each."""
        running = self.query_one(ImportActions).in_progress()
        return [running] if running is not None else []

    def action_sign_in(self) -> None:
        """Sign in to the central service: URL, user, password (the token kept in the keyring)."""
        self.query_one(SyncActions).sign_in()

    def action_sign_out(self) -> None:
        """Sign out: the service revokes the token and it is removed from the keyring."""
        self.query_one(SyncActions).sign_out()

    def action_conflicts(self) -> None:
        """The conflicts the last syncs recorded: keep mine, take the service's, or a new value."""
        self.query_one(SyncActions).show_conflicts()

    def action_help(self) -> None:
        from sortui.screens.help import HelpScreen, remap_note

        title, sections = self.help_sections()
        note = remap_note(getattr(self.app, "config_path", None))
        self.app.push_screen(HelpScreen(f"Help: {title}", note, sections))

    # -- room for the tree ----------------------------------------------------------------

    def action_zoom(self) -> None:
        """The pane with the focus on the whole screen (the status bar and keys stay), or back."""
        if self.has_class("-zoom-left") or self.has_class("-zoom-right"):
            self.remove_class("-zoom-left", "-zoom-right")
            return
        pane = self.focused_pane()
        left = pane is None or isinstance(pane, OrgTree | ShakPane)
        self.add_class("-zoom-left" if left else "-zoom-right")

    def action_toggle_details(self) -> None:
        """Hide the detail panel (the tree takes its room), or show it again."""
        self.toggle_class("-no-details")
        shown = not self.has_class("-no-details")
        self.notify("Detail panel shown" if shown else "Detail panel hidden: i shows it", markup=False, timeout=3)

    def focused_pane(self) -> Widget | None:
        node = self.focused
        while node is not None and not isinstance(node, tuple(PANE_NAMES)):
            node = node.parent  # type: ignore[assignment]
        return node if isinstance(node, Widget) else None

    def help_sections(self) -> tuple[str, list]:
        from sortui.screens.help import HelpSection

        pane = self.focused_pane()
        mine: dict[tuple[int, str], tuple[list[str], str]] = {}
        everywhere: dict[tuple[int, str], tuple[list[str], str]] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.system:
                continue
            local = pane is not None and (active.node is pane or pane in active.node.ancestors)
            rows = mine if local else everywhere
            keys, _ = rows.setdefault((id(active.node), binding.action), ([], binding.description))
            display = self.app.get_key_display(binding)
            if display not in keys:
                keys.append(display)
        title = PANE_NAMES.get(type(pane), "sortui") if pane is not None else "sortui"
        sections = [
            HelpSection(title, [(" ".join(k), d) for k, d in mine.values()]),
            HelpSection("Everywhere", [(" ".join(k), d) for k, d in everywhere.values()]),
        ]
        return title, [s for s in sections if s.rows]


def _not_shown_text(hit: Hit, view_date: str) -> str:
    """Why a search hit is not in the tree, and how to get there."""
    why = f"closed {hit.to_date}" if hit.to_date and hit.to_date < view_date else f"not valid on {view_date}"
    return f"{clean(hit.name)} ({hit.sor_id}) is {why} and not shown: press c to show closed units and go there"
