"""The main screen's navigation: history (``[`` and ``]``), the tree filtered in place (``F``), and the
session memory (where the user left the working copy, restored on the next start).

``MainScreen`` derives from ``NavigationScreen`` (which derives from ``MarkingScreen``); the main screen
provides ``jump_to``, which records a visit once the unit is shown (``visit``), shows the whole tree
again before a jump from a filtered one, and ends the restoring of the remembered cursor.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.message import Message

from sortui.domain.words import plural
from sortui.screens.marking import MarkingScreen
from sortui.screens.shak import ORGANISATION_TAB, SHAK_TAB
from sortui.store.search import Hit
from sortui.store.tree_filter import FilterTable
from sortui.widgets import session
from sortui.widgets.guard import reports_errors
from sortui.widgets.history import SHAK, UNIT, History, Place
from sortui.widgets.org_tree import OrgTree
from sortui.widgets.safe import clean
from sortui.widgets.session import SessionState
from sortui.widgets.status_bar import StatusBar

SESSION_CHECK = 2.0  # seconds between looks at whether where the user is has changed (then it is saved)


class NavigationScreen(MarkingScreen):
    """History, filter in place and session memory of the main screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "history_back", "Back to the unit visited before", show=False, id="app.back"),
        Binding(
            "right_square_bracket", "history_forward", "Forward in the units visited", show=False, id="app.forward"
        ),
        Binding("F", "filter", "Filter the tree by name or code", show=False, id="app.filter"),
    ]

    class Filtered(Message):
        def __init__(self, table: FilterTable, keep: str | None, refresh: bool) -> None:
            super().__init__()
            self.table = table
            self.keep = keep  # the unit the cursor was on before the filter
            self.refresh = refresh  # the filter shown, worked out again (for another date)

    show_closed: bool

    def __init__(self, session_path: Path | None, remembered: SessionState | None) -> None:
        """``session_path``: the file where the screen keeps where the user left it (``widgets.session``;
        None: nothing is kept); ``remembered``: what it held when the app started, restored here (the
        cursor, the expanded nodes, the pane and the closed-units toggle; the app took the view date)."""
        super().__init__()
        self.session_path = session_path
        self._remembered = remembered or SessionState()
        self._restore_cursor = self._remembered.cursor  # the unit the cursor goes to once the tree is in
        self._saved = self._remembered  # the state last written
        self.show_closed = self._remembered.show_closed
        self.history = History()  # the places visited, for [ and ]
        self._unfiltered_unit: str | None = None  # the unit the cursor was on when the tree was filtered

    def jump_to(self, sor_id: str, force: bool = True, hit: Hit | None = None, visit: bool = False) -> None:
        raise NotImplementedError

    @property
    def tree(self) -> OrgTree:
        return self.query_one(OrgTree)

    # -- where the user left the screen (session memory) -----------------------------------

    def on_mount(self) -> None:
        if self.show_closed:
            self.query_one(StatusBar).set(show_closed=True)
        if self._remembered.pane == SHAK_TAB:
            self.call_after_refresh(self.action_shak_pane)
        if self.session_path is not None:
            self.set_interval(SESSION_CHECK, lambda: self.save_session(in_worker=True))

    def session_state(self) -> SessionState | None:
        """Where the user is now (None: the remembered cursor is still on its way, or a filtered tree)."""
        if self._restore_cursor is not None or self.tree.filter is not None:
            return None
        item = self.tree.cursor_item()
        return SessionState(
            cursor=item.sor_id if item is not None else None,
            expanded=self.tree.expanded_paths(session.MAX_EXPANDED),
            pane=SHAK_TAB if self.shak_shown() else ORGANISATION_TAB,
            view_date=self.view_date,
            show_closed=self.show_closed,
        )

    def save_session(self, in_worker: bool = False) -> None:
        """Write where the user is now if it changed (on quit; ``in_worker``: every ``SESSION_CHECK`` seconds)."""
        path, state = self.session_path, self.session_state()
        if path is None or state is None or state == self._saved:
            return
        self._saved = state
        if in_worker:
            self.run_worker(lambda: self._write_session(path, state), thread=True, group="session")
        else:
            self._write_session(path, state)

    def _write_session(self, path: Path, state: SessionState) -> None:
        try:
            session.save(path, state)
        except OSError as exc:  # a full or read-only disk: the app goes on, it will not remember
            self.log.warning(f"the session could not be saved in {path}: {exc}")

    # -- history --------------------------------------------------------------------------

    def visit_unit(self, sor_id: str, hit: Hit | None = None) -> None:
        """Go to ``sor_id`` in the organisation tree as a visit: ``[`` comes back to where the user was."""
        self._record_here()
        self.jump_to(sor_id, hit=hit, visit=True)

    def visit_code(self, code: str) -> None:
        """Show ``code`` in the SHAK pane as a visit."""
        self.record_code_visit(code)
        self._show_code(code)

    def record_code_visit(self, code: str) -> None:
        """The history records a visit to ``code`` (from where the user is)."""
        self._record_here()
        self.history.visit(Place(SHAK, code))

    def _show_code(self, code: str) -> None:
        self.show_tab(SHAK_TAB)
        self.shak_pane.show_code(code)

    def here(self) -> Place | None:
        """Where the user is: the SHAK-kode under the SHAK pane's cursor, or the unit under the tree's."""
        if self.shak_shown():
            code = self.shak_pane.current_code()
            return Place(SHAK, code) if code else None
        item = self.tree.cursor_item()
        return Place(UNIT, item.sor_id) if item is not None and item.sor_id else None

    def _record_here(self) -> None:
        """A jump leaves the place the user is on: the history records it (the way back)."""
        place = self.here()
        if place is not None:
            self.history.visit(place)

    def action_history_back(self) -> None:
        self._go_in_history(self.history.back(), "back", "Nothing to go back to")

    def action_history_forward(self) -> None:
        self._go_in_history(self.history.forward(), "forward", "Nothing ahead: [ goes back")

    def _go_in_history(self, place: Place | None, way: str, nothing: str) -> None:
        if place is None:
            self.notify(nothing, markup=False, timeout=3)
            return
        what = f"SHAK-kode {place.key}" if place.kind == SHAK else f"SOR-kode {place.key}"
        self.notify(f"History {way}: {self.history.position}/{len(self.history)}, {what}", markup=False, timeout=3)
        if place.kind == SHAK:
            self._show_code(place.key)
        else:
            self.jump_to(place.key)

    # -- filter in place ------------------------------------------------------------------

    def action_filter(self) -> None:
        """Show only the units whose name or code matches (and the units above them); esc: the whole tree."""
        from sortui.screens.prompts import PromptScreen

        current = self.tree.filter.text if self.tree.filter is not None else ""
        hint = "Units whose name, SOR-kode, SHAK-kode or lokationsnummer matches, as search matches; esc in the tree clears it"
        check = lambda v: None if v.strip() else "type a name or the start of a code"  # noqa: E731

        def chosen(value: str | None) -> None:
            if value and value.strip():
                item = self.tree.cursor_item()
                keep = self._unfiltered_unit if self.tree.filter is not None else (item.sor_id if item else None)
                self._run_filter(value.strip(), self.tree.filter_date, keep, refresh=False)

        self.app.push_screen(PromptScreen("Filter the tree", hint, current, check), chosen)

    @work(thread=True, exclusive=True, group="filter")
    @reports_errors
    def _run_filter(self, text: str, on: str | None, keep: str | None, refresh: bool = True) -> None:
        """Work out the filter ``text`` (``refresh``: the one shown, again for another date)."""
        table = FilterTable(self.source.path, text, on, readonly=self.source.readonly)
        self.post_message(self.Filtered(table, keep, refresh))

    @on(Filtered)
    def _filtered(self, message: Filtered) -> None:
        table = message.table
        if table.on != self.tree.filter_date:  # the date changed meanwhile
            table.close()
            self._run_filter(table.text, self.tree.filter_date, message.keep, message.refresh)
            return
        if not table.count and not message.refresh:  # a new filter that keeps nothing: the tree stays
            table.close()
            self.notify(f"No unit matches {clean(table.text)}{self._shown_on()}", severity="warning", markup=False)
            return
        self._unfiltered_unit = message.keep
        self._set_filter(table)

    def _shown_on(self) -> str:
        return "" if self.show_closed else f" on {self.view_date} (c shows closed units too)"

    def _set_filter(self, table: FilterTable | None) -> None:
        self.tree.set_filter(table)
        title = "Organisation"
        if table is not None:
            title += f" · filter: {clean(table.text)} — {plural(table.count, 'unit')}"
        self.tree.border_title = Text(title)  # Text: what was typed is shown, never read as markup

    @on(OrgTree.FilterLeft)
    def _filter_left(self) -> None:
        item = self.tree.cursor_item()
        back_to = item.sor_id if item is not None and item.sor_id else self._unfiltered_unit
        self._set_filter(None)
        if back_to:
            self.jump_to(back_to, force=False)
        self.notify("Filter cleared: the whole tree", markup=False, timeout=2)
