"""The editing operations of the main screen, and keeping the tree in step with the journal.

A controller of the main screen (``screens.controller``): the screen's bindings call ``run(op)``; the operations read
in thread workers, ask (prompts, pickers, confirmations), write through ``store.journal`` in
thread workers, and then ``after_edit`` refreshes the pending count, the tree's markers and
labels (or reloads it after a create, close or move) and the detail panel.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message

from sortui.domain.words import plural
from sortui.screens.controller import Controller
from sortui.screens.ean_flow import EanFlow
from sortui.store import journal, queries, search
from sortui.store.describe import message_code
from sortui.store.journal import EditError
from sortui.widgets.guard import reports_errors
from sortui.widgets.marks import marked_words
from sortui.widgets.safe import clean
from sortui.widgets.source import Source
from sortui.widgets.treedata import Item

if TYPE_CHECKING:  # the editing machinery loads with the first edit, not with the main screen
    from sortui.widgets.edit_data import BulkPlan, EdiData, EditorData, MovePlan


@dataclass(frozen=True, slots=True)
class Op:
    name: str
    title: str
    help: str
    key: str


OPS = (
    Op("edit", "Edit unit", "Edit the unit under the cursor", "e"),
    Op("create", "New unit", "A new unit under the unit under the cursor (made when the editor saves it)", "a"),
    Op("close", "Close unit", "Close the marked units, or the unit under the cursor (set Gyldig til)", "X"),
    Op("move", "Move unit", "Move the unit and its subtree under another parent", "m"),
    Op("ean", "Lokationsnummer: own / inherited", "Give the unit its own lokationsnummer, or make it inherit", "L"),
    Op("edi", "EDI message types", "Message types and attributes of the unit's lokationsnummer", "E"),
    Op("bulk", "Bulk message type", "A message type on the marked units' lokationsnumre or the subtree's", "B"),
    Op("changes", "Pending changes", "The journal's pending changes: undo one, discard all", "P"),
)
OP_TITLES = {op.name: op.title for op in OPS}
NEEDS_UNIT = ("edit", "create", "close", "move", "ean", "edi", "bulk")
ON_MARKED = ("close", "bulk")  # act on the marked units when there are any


class EditActions(Controller):
    """Runs the editing operations for the main screen."""

    class Loaded(Message):
        def __init__(self, op: str, sor_id: str, payload: Any) -> None:
            super().__init__()
            self.op = op
            self.sor_id = sor_id
            self.payload = payload

    class Written(Message):
        def __init__(
            self, notice: str, severity: str = "information", keys: list[str] | None = None, **after: Any
        ) -> None:
            super().__init__()
            self.notice = notice
            self.severity = severity
            self.keys = keys
            self.after = after  # structural, focus

    class Refreshed(Message):
        def __init__(self, count: int, keys: set[str], nodes: dict[str, queries.Node], **after: Any) -> None:
            super().__init__()
            self.count = count
            self.keys = keys
            self.nodes = nodes
            self.after = after

    def __init__(self, source: Source, debounce: float = 0.1, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.debounce = debounce

    def compose(self) -> ComposeResult:
        yield EanFlow(self.source)

    def on_mount(self) -> None:
        self._refresh([], None)  # the markers and count of edits made before (the tree may still be mounting)

    # -- dispatch ------------------------------------------------------------------------------

    def run(self, op: str) -> None:
        """Start operation ``op`` (one of ``OPS``) on the unit under the tree's cursor."""
        if self.source.readonly and op != "changes":
            self.notify(f"Read-only: {OP_TITLES[op]} is not possible in read-only mode", severity="warning")
            return
        marked = self.main.marks.ids() if op in ON_MARKED else []
        if marked:  # the marked units, wherever the cursor is
            getattr(self, f"_start_{op}_marked")(marked)
            return
        if op in NEEDS_UNIT and self.main.has_class("-shak"):
            self.notify("Editing works on the organisation tree: press o to go back to it", severity="warning")
            return
        item = self.main.tree.cursor_item()
        if op in NEEDS_UNIT and (item is None or item.sor_id is None):
            self.notify("No unit under the cursor: move to a unit first", severity="warning", markup=False)
            return
        getattr(self, f"_start_{op}")(item)

    def _load(self, op: str, sor_id: str, reader: Callable[[sqlite3.Connection], Any]) -> None:
        self._read(op, sor_id, reader)

    @work(thread=True, group="edit-read")
    @reports_errors
    def _read(self, op: str, sor_id: str, reader: Callable[[sqlite3.Connection], Any]) -> None:
        with self.source.connection() as conn:
            payload = reader(conn)
        self.post_message(self.Loaded(op, sor_id, payload))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        getattr(self, f"_loaded_{message.op}")(message.sor_id, message.payload)

    @work(thread=True, group="edit-write")
    @reports_errors
    def _write(self, writer: Callable[[sqlite3.Connection], str], keys: list[str], **after: Any) -> None:
        """Run ``writer`` (a journal write answering a notice)."""
        try:
            with self.source.connection() as conn:
                notice = writer(conn)
        except EditError as exc:
            self.post_message(self.Written("Refused: " + "; ".join(p.message for p in exc.problems), "error"))
            return
        self.post_message(self.Written(notice, keys=keys, **after))

    @on(Written)
    def _written(self, message: Written) -> None:
        message.stop()
        self.notify(clean(message.notice), severity=message.severity, markup=False)  # type: ignore[arg-type]
        if message.keys is not None:
            self.after_edit(message.keys, **message.after)

    # -- refreshing after an edit ------------------------------------------------------------------

    def after_edit(self, keys: list[str], structural: bool = False, focus: str | None = None) -> None:
        """Refresh count, markers, the labels of ``keys`` (or the whole tree) and the details."""
        tree = self.main.tree
        if structural:
            self.main.search.forget_scope()  # a unit created or moved: the subtree searched may hold others now
        item = tree.cursor_item()
        fallback = _parent_id(tree.cursor_node)
        focus = focus or (item.sor_id if item else None)
        self._refresh(keys, tree.filter_date, structural=structural, focus=focus, fallback=fallback)

    @work(thread=True, group="edit-refresh")
    @reports_errors
    def _refresh(self, keys: list[str], on: str | None, **after: Any) -> None:
        with self.source.connection() as conn:
            count, pending = journal.pending_count(conn), journal.pending_keys(conn)
            nodes = {k: n for k in keys if (n := queries.node(conn, k, on)) is not None}
            focus = after.get("focus")
            if focus and queries.node(conn, focus) is None:
                after["focus"] = after.get("fallback")
        self.post_message(self.Refreshed(count, pending, nodes, **after))

    @on(Refreshed)
    def _refreshed(self, message: Refreshed) -> None:
        message.stop()
        main, after = self.main, message.after
        main.status.set(pending_edits=message.count)
        main.tree.set_pending(message.keys)
        if after.get("structural"):
            main.tree.reload()
            if after.get("focus"):
                main.jump_to(after["focus"], force=False)
        else:
            main.tree.update_units(message.nodes)
            main.detail.show_item(main.tree.cursor_item(), main.view_date)

    # -- edit --------------------------------------------------------------------------------------

    def _start_edit(self, item: Item) -> None:
        from sortui.widgets import edit_data

        sor_id = item.sor_id
        assert sor_id is not None
        self._load("edit", sor_id, lambda conn: edit_data.load_editor_data(conn, sor_id))

    def _loaded_edit(self, sor_id: str, data: EditorData | None) -> None:
        from sortui.screens.editor import UnitEditor

        if data is None:
            self.notify(f"SOR-kode {sor_id} is not in the working copy", severity="error", markup=False)
            return

        def closed(entries: list[journal.JournalEntry] | None) -> None:
            if entries:
                self.after_edit([sor_id])

        editor = UnitEditor(self.source, data, self.debounce, on_change=lambda keys: self.after_edit(keys))
        self.app.push_screen(editor, closed)

    # -- create, close, move ----------------------------------------------------------------------

    def _start_create(self, item: Item) -> None:
        from sortui.widgets import edit_data

        parent, on = item.sor_id, self.main.view_date
        assert parent is not None
        self._load("create", parent, lambda conn: edit_data.load_new_unit_data(conn, parent, on))

    def _loaded_create(self, parent: str, data: EditorData | None) -> None:
        """The editor on a draft of the new unit: it is made (and shown in the tree) only when saved."""
        from sortui.screens.editor import UnitEditor

        if data is None:
            self.notify(f"SOR-kode {parent} is not in the working copy", severity="error", markup=False)
            return

        def closed(entries: list[journal.JournalEntry] | None) -> None:
            if entries:
                self.after_edit([parent], structural=True, focus=entries[0].key)

        self.app.push_screen(UnitEditor(self.source, data, self.debounce), closed)

    def _start_close(self, item: Item) -> None:
        sor_id, on = item.sor_id, self.main.view_date
        assert sor_id is not None
        self._load("close", sor_id, lambda conn: (queries.node(conn, sor_id), queries.child_count(conn, sor_id, on)))

    def _loaded_close(self, sor_id: str, payload: tuple[queries.Node | None, int]) -> None:
        from sortui.screens.prompts import PromptScreen, check_date, parse_view_date

        node, open_children = payload
        if node is None:
            return
        note = f" It is closed on {node.to_date} now." if node.to_date else ""

        def chosen(value: str | None) -> None:
            day = parse_view_date(value) if value is not None else None
            if day:
                self._confirm_close(node, day, open_children)

        hint = f"Gyldig til (the last valid day), YYYY-MM-DD; empty for today.{note}"
        self.app.push_screen(PromptScreen(f"Close {clean(node.name)}", hint, self.main.view_date, check_date), chosen)

    def _confirm_close(self, node: queries.Node, day: str, open_children: int) -> None:
        from sortui.screens.confirm import ConfirmScreen
        from sortui.store import edits

        body = Text(f"{clean(node.name)} ({node.kind} {node.sor_id}) is valid until {day} (Gyldig til).")
        if open_children:
            body.append(f"\n{open_children} sub-units are valid on {self.main.view_date} and stay open.")
        focus = node.sor_id if day >= self.main.view_date else _parent_id(self.main.tree.cursor_node)

        def write(conn: sqlite3.Connection) -> str:
            edits.set_fields(conn, node.sor_id, {"to_date": day})
            return f"Closed {node.name} on {day}"

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(write, [node.sor_id], structural=True, focus=focus)

        self.app.push_screen(ConfirmScreen("Close the unit?", body, "close"), answered)

    def _start_close_marked(self, sor_ids: list[str]) -> None:
        on = self.main.view_date

        def read(conn: sqlite3.Connection) -> tuple[list[queries.Node], int]:
            nodes = [n for s in sor_ids if (n := queries.node(conn, s))]
            return nodes, queries.open_children_outside(conn, [n.sor_id for n in nodes], on)

        self._load("close_marked", sor_ids[0], read)

    def _loaded_close_marked(self, _first: str, payload: tuple[list[queries.Node], int]) -> None:
        """One Gyldig til for every marked unit, a confirmation listing them, one bulk change."""
        from sortui.screens.prompts import PromptScreen, check_date, parse_view_date

        nodes, open_children = payload
        if not nodes:
            self.notify("None of the marked units is in the working copy", severity="warning", markup=False)
            return
        words = marked_words(len(nodes))

        def chosen(value: str | None) -> None:
            day = parse_view_date(value) if value is not None else None
            if day:
                self._confirm_close_marked(nodes, day, open_children)

        hint = f"Gyldig til (the last valid day) of {words}, YYYY-MM-DD; empty for today."
        self.app.push_screen(PromptScreen(f"Close {words}", hint, self.main.view_date, check_date), chosen)

    def _confirm_close_marked(self, nodes: list[queries.Node], day: str, open_children: int) -> None:
        from sortui.screens.confirm import ConfirmScreen
        from sortui.store import edits

        words, ids = marked_words(len(nodes)), [n.sor_id for n in nodes]
        body = Text(f"{words[0].upper()}{words[1:]} are valid until {day} (Gyldig til): ")
        body.append("one bulk change in the journal, P undoes it in one step.")
        if open_children:
            stay = plural(open_children, "sub-unit")
            one = open_children == 1
            body.append(f"\n{stay} not marked {'is' if one else 'are'} valid on {self.main.view_date}")
            body.append(f" and {'stays' if one else 'stay'} open.")
        items = [_unit_line(n) for n in nodes]

        def write(conn: sqlite3.Connection) -> str:
            entries, refused = edits.set_fields_on_many(conn, ids, {"to_date": day})
            closed = len({e.key for e in entries})
            notice = f"Closed {plural(closed, 'unit')} on {day} (one bulk change: P undoes it)"
            if refused:
                why = "; ".join(f"{sor_id}: {problems[0].message}" for sor_id, problems in refused.items())
                notice += f"; refused {plural(len(refused), 'unit')}: {why}"
            return notice

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(write, ids, structural=True)

        self.app.push_screen(ConfirmScreen(f"Close {words}?", body, "close", items), answered)

    def _start_move(self, item: Item) -> None:
        """The new parent: the one marked unit when there is one (asked first), else by name or code."""
        sor_id = item.sor_id
        assert sor_id is not None and item.node is not None
        name = clean(item.node.name)
        marked = self.main.marks.ids()
        if len(marked) == 1 and marked[0] != sor_id:
            self._load("move_marked", sor_id, lambda conn: (name, queries.node(conn, marked[0])))
        else:
            self._ask_parent(sor_id, name)

    def _loaded_move_marked(self, sor_id: str, payload: tuple[str, queries.Node | None]) -> None:
        from sortui.screens.confirm import ConfirmScreen

        name, parent = payload
        if parent is None:  # the marked unit is gone (an import replaced the working copy)
            self._ask_parent(sor_id, name)
            return
        body = Text(f"Move {name} under the marked unit {clean(parent.name)} ({parent.kind} {parent.sor_id})?")
        body.append("\nn: choose another parent by name or code", style="dim")

        def answered(yes: bool | None) -> None:
            if yes:
                self._load("move", sor_id, lambda conn: _plan_move(conn, sor_id, f"sor:{parent.sor_id}"))
            else:
                self._ask_parent(sor_id, name)

        self.app.push_screen(ConfirmScreen("Move under the marked unit?", body, "yes"), answered)

    def _ask_parent(self, sor_id: str, name: str) -> None:
        from sortui.screens.move_parent import ParentScreen

        def chosen(key: str | None) -> None:
            if key:
                self._load("move", sor_id, lambda conn: _plan_move(conn, sor_id, key))

        self.app.push_screen(ParentScreen(self.source, f"Move {name} under"), chosen)

    def _loaded_move(self, sor_id: str, plan: MovePlan | None) -> None:
        from sortui.screens.confirm import ConfirmScreen
        from sortui.store import edits

        if plan is None or plan.new_parent is None:
            self.notify(clean(plan.problem or "not found") if plan else "not found", severity="error", markup=False)
            return
        new = plan.new_parent
        body = Text(f"{clean(plan.unit.name)} ({plan.unit.kind} {sor_id})")
        if plan.below:
            body.append(f" and the {plan.below} units below it")
        body.append(f"\nfrom {clean(plan.old_parent.name) if plan.old_parent else '–'}")
        body.append(f"\nto   {clean(new.name)} ({new.kind} {new.sor_id})")

        def write(conn: sqlite3.Connection) -> str:
            edits.move_unit(conn, sor_id, new.sor_id)
            return f"Moved {plan.unit.name} under {new.name}"

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(write, [sor_id], structural=True, focus=sor_id)

        self.app.push_screen(ConfirmScreen("Move the unit?", body, "move"), answered)

    # -- location numbers -------------------------------------------------------------------------

    def _start_ean(self, item: Item) -> None:
        assert item.sor_id is not None
        self.query_one(EanFlow).start(item.sor_id, self.main.view_date)

    @on(EanFlow.Done)
    def _ean_done(self, message: EanFlow.Done) -> None:
        message.stop()
        self.after_edit(message.keys)

    def _start_edi(self, item: Item) -> None:
        from sortui.widgets import edit_data

        sor_id = item.sor_id
        assert sor_id is not None
        self._load("edi", sor_id, lambda conn: edit_data.load_edi_data(conn, sor_id))

    def _loaded_edi(self, sor_id: str, data: EdiData | None) -> None:
        from sortui.screens.edi import EdiScreen

        if data is None:
            self.notify("This unit has no lokationsnummer (own or inherited): L gives it its own", severity="warning")
            return
        self.app.push_screen(EdiScreen(self.source, data, lambda keys: self.after_edit(keys)))

    # -- bulk ---------------------------------------------------------------------------------------

    def _start_bulk_marked(self, sor_ids: list[str]) -> None:
        self._start_bulk(None, sor_ids)

    def _start_bulk(self, item: Item | None, marked: list[str] | None = None) -> None:
        """The message type's scope: the marked units' lokationsnumre (when there are marks) or those
        under the cursor's unit, or the search hits'."""
        from sortui.widgets import edit_data
        from sortui.widgets.edit_data import Choice
        from sortui.widgets.picker import PickerScreen

        pane = self.main.search
        text, root, total, hits = pane.searched, pane.root[0] if pane.root else None, pane.total, pane.count_text()
        if marked:
            sor_id, words = marked[0], marked_words(len(marked))
            choices = [
                Choice("add:marked", f"Add a message type to the lokationsnumre of {words}"),
                Choice("remove:marked", f"Remove a message type from the lokationsnumre of {words}"),
            ]
        else:
            assert item is not None and item.sor_id is not None and item.node is not None
            sor_id, name = item.sor_id, clean(item.node.name)
            choices = [
                Choice("add:subtree", f"Add a message type to the lokationsnumre under {name}"),
                Choice("remove:subtree", f"Remove a message type from the lokationsnumre under {name}"),
            ]
        if pane.hits:
            choices.append(Choice("add:search", f"Add a message type to those of the {hits} search hits"))
            choices.append(Choice("remove:search", f"Remove a message type from those of the {hits} search hits"))

        def search_ids(conn: sqlite3.Connection) -> list[str]:
            scope = search.subtree_scope(conn, root) if root else None
            return search.search_sor_ids(conn, text, total, scope)

        def chosen(value: str | None) -> None:
            if not value:
                return
            action, scope = value.split(":")
            if scope == "search" and pane.more:
                self.notify(f"The search has {hits} hits: narrow it for a bulk change", severity="warning")
                return
            ids = {"subtree": lambda conn: [sor_id], "marked": lambda conn: queries.existing_units(conn, marked)}.get(
                scope, search_ids
            )
            self._load("bulk", sor_id, lambda conn: edit_data.plan_bulk(conn, action, scope, ids(conn)))

        title = f"Bulk message type: {marked_words(len(marked))}" if marked else "Bulk message type"
        self.app.push_screen(PickerScreen(title, choices, filterable=False), chosen)

    def _loaded_bulk(self, sor_id: str, plan: BulkPlan) -> None:
        from sortui.widgets import edit_data
        from sortui.widgets.picker import PickerScreen

        if not plan.glns:
            self.notify(f"No lokationsnumre {clean(plan.scope)}", severity="warning", markup=False)
            return

        def picked(urn: str | None) -> None:
            if urn:
                self._load("bulk_preview", sor_id, lambda conn: edit_data.preview_bulk(conn, plan, urn))

        title = f"{'Add' if plan.action == 'add' else 'Remove'}: {numbers(len(plan.glns))} {plan.scope}"
        self.app.push_screen(PickerScreen(title, plan.catalogue), picked)

    def _loaded_bulk_preview(self, sor_id: str, plan: BulkPlan) -> None:
        from sortui.screens.confirm import ConfirmScreen
        from sortui.store import edits
        from sortui.widgets import edit_data

        assert plan.urn is not None
        urn, verb = plan.urn, "Add" if plan.action == "add" else "Remove"
        body = Text(f"{verb} {message_code(urn)} {'to' if plan.action == 'add' else 'from'} ")
        body.append(f"the lokationsnumre {clean(plan.scope)}:\n")
        body.append(f"{numbers(len(plan.glns))}, {plan.have} already {'has' if plan.have == 1 else 'have'} it: ")
        body.append(f"{numbers(plan.changing)} change", style="bold")
        body.append(" (one bulk change in the journal: P undoes it in one step).")
        if not plan.changing:
            self.notify(body.plain.replace("\n", " "), severity="warning", markup=False)
            return
        glns = [gln for gln, _ in plan.change]
        items = [Text.assemble((gln, "bold"), "  ", clean(owner)) for gln, owner in plan.change]

        def write(conn: sqlite3.Connection) -> str:
            if plan.action == "add":
                entries = edits.add_message_to_many(conn, glns, urn)
            else:
                entries = edits.remove_message_from_many(conn, glns, urn)
            name = edit_data.message_name(conn, urn)
            return f"{verb}: {name} on {numbers(len(entries))} (one bulk change: P undoes it)"

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(write, [])

        title = f"{verb} a message type on {numbers(plan.changing)}?"
        self.app.push_screen(ConfirmScreen(title, body, verb.lower(), items), answered)

    # -- the journal -----------------------------------------------------------------------------------

    def _start_changes(self, _item: Item | None) -> None:
        from sortui.screens.changes import ChangesScreen

        def closed(sor_id: str | None) -> None:
            if sor_id:
                self.main.visit_unit(sor_id)

        screen = ChangesScreen(self.source, lambda keys: self.after_edit(keys, structural=True))
        self.app.push_screen(screen, closed)


def _unit_line(node: queries.Node) -> Text:
    """A unit in a confirmation's list: name, kind and SOR-kode (and when it is closed already)."""
    line = Text.assemble(clean(node.name), (f"  {node.kind} {node.sor_id}", "dim"))
    if node.to_date:
        line.append(f"  (Gyldig til {node.to_date} now)", style="dim")
    return line


def numbers(count: int) -> str:
    return plural(count, "lokationsnummer", "lokationsnumre")


def _parent_id(node: Any) -> str | None:
    parent = node.parent if node is not None else None
    item = parent.data if parent is not None else None
    return item.sor_id if item is not None else None


def _plan_move(conn: sqlite3.Connection, sor_id: str, key: str) -> MovePlan | None:
    from sortui.store.lookup import go_to_target
    from sortui.widgets import edit_data

    target = go_to_target(conn, key)
    return edit_data.plan_move(conn, sor_id, target.sor_id, target.note)
