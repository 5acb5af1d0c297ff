"""Marks on the main screen: ``space`` marks or unmarks the row under the cursor, ``*`` every row the
focused pane shows, ``U`` clears them; the marker on the rows and the count in the status bar.

A mark is a unit's SOR-kode in ``MainScreen.marks`` (``widgets.marks.Marks``), so it outlives the
tree's reloads (a new view date, closed units shown, edits). In the organisation tree and the search
hits a row is a unit; a row of the SHAK pane stands for the units that carry its SHAK-kode (and the
unit list under a code's details for the unit highlighted there). The bulk actions (message types,
close, review, export) act on the marked units when there are any.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from sortui.domain.words import plural
from sortui.screens.shak import ShakScreen
from sortui.store import queries
from sortui.widgets.guard import reports_errors
from sortui.widgets.marks import Marks
from sortui.widgets.org_tree import OrgTree
from sortui.widgets.safe import clean
from sortui.widgets.search_pane import SearchPane
from sortui.widgets.shak_detail import ShakDetail
from sortui.widgets.shak_nav import ShakPane
from sortui.widgets.status_bar import StatusBar

MARK_HELP = "Mark or unmark the row (tree, search hits, SHAK: the units with the code)"


class MarkingScreen(ShakScreen):
    """The marking part of the main screen (which provides the panes and ``focused_pane``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", MARK_HELP, show=False, id="app.mark"),
        Binding("asterisk", "mark_shown", "Mark every row the pane shows", show=False, id="app.mark_shown"),
        Binding("U", "clear_marks", "Unmark all marked units", show=False, id="app.clear_marks"),
    ]

    marks: Marks  # the main screen's; the tree and the search pane draw their rows' marks from it

    def __init__(self) -> None:
        super().__init__()
        self._code_units: dict[str, tuple[str, ...]] = {}  # the units of the SHAK-koder marked from the SHAK pane

    class CodeUnits(Message):
        """The units carrying ``codes``: marked (or, for one code all marked already, unmarked)."""

        def __init__(self, codes: dict[str, tuple[str, ...]], toggle: bool) -> None:
            super().__init__()
            self.codes = codes
            self.toggle = toggle

    def focused_pane(self) -> Widget | None:
        raise NotImplementedError

    def marks_changed(self, sor_ids: Iterable[str]) -> None:
        """Draw the rows of ``sor_ids`` again and the count in the status bar."""
        changed = set(sor_ids)
        self.query_one(StatusBar).set(marked=len(self.marks))
        self.query_one(OrgTree).relabel_units(changed)
        self.query_one(SearchPane).relabel_hits(changed)
        self.query_one(ShakDetail).relabel_units(changed)
        whole = {code for code, ids in self._code_units.items() if ids and all(i in self.marks for i in ids)}
        self.shak_pane.tree.set_marked_codes(whole)

    def action_toggle_mark(self) -> None:
        pane = self.focused_pane()
        if isinstance(pane, OrgTree):
            item = pane.cursor_item()
            self._toggle(item.sor_id if item else None)
        elif isinstance(pane, SearchPane):
            hit = pane.highlighted_hit()
            self._toggle(hit.sor_id if hit else None)
        elif isinstance(pane, ShakPane):
            code = pane.current_code()
            if code is None:
                self.notify("No SHAK-kode under the cursor", severity="warning", markup=False)
            else:
                self._units_of([code], toggle=True)
        elif isinstance(pane, ShakDetail) and pane.units.has_focus:
            index = pane.units.highlighted
            option = pane.units.get_option_at_index(index) if index is not None else None
            self._toggle(option.id if option else None)
        else:
            self.notify("space marks a row of the tree, the search hits or the SHAK pane", markup=False, timeout=3)

    def _toggle(self, sor_id: str | None) -> None:
        if sor_id is None:
            self.notify("No unit under the cursor to mark", severity="warning", markup=False)
            return
        self.marks.toggle(sor_id)
        self.marks_changed([sor_id])

    def action_mark_shown(self) -> None:
        """Mark the rows the focused pane shows: the tree's loaded lines, the hits loaded, the SHAK
        codes shown (their units)."""
        pane = self.focused_pane()
        if isinstance(pane, OrgTree):
            self._mark_all(pane.visible_units(), "shown in the tree")
        elif isinstance(pane, SearchPane):
            loaded = "" if pane.complete else f" (of {pane.count_text()})"
            self._mark_all([h.sor_id for h in pane.hits], f"of the {len(pane.hits):,} search hits loaded{loaded}")
        elif isinstance(pane, ShakPane):
            codes = pane.visible_codes()
            if not codes:
                self.notify("No SHAK-kode shown is carried by a SOR unit", severity="warning", markup=False)
            else:
                self._units_of(codes, toggle=False)
        else:
            self.notify("* marks the rows of the tree, the search hits or the SHAK pane", markup=False, timeout=3)

    def _mark_all(self, sor_ids: list[str], where: str) -> None:
        added = self.marks.add(sor_ids)
        self.marks_changed(sor_ids)
        self.notify(f"Marked {plural(added, 'unit')} {where}: {len(self.marks):,} marked", markup=False, timeout=3)

    def action_clear_marks(self) -> None:
        if not self.marks:
            self.notify("No units are marked", markup=False, timeout=3)
            return
        ids = self.marks.ids()
        self.marks.clear()
        self.marks_changed(ids)
        self.notify(f"Unmarked {plural(len(ids), 'unit')}", markup=False, timeout=3)

    # -- the SHAK pane: a code stands for the units carrying it --------------------------------

    @work(thread=True, group="marks")
    @reports_errors
    def _units_of(self, codes: list[str], toggle: bool) -> None:
        with self.source.connection() as conn:
            found = {code: tuple(queries.sor_ids_for_shak(conn, code)) for code in codes}
        self.post_message(self.CodeUnits(found, toggle))

    @on(CodeUnits)
    def _code_units_found(self, message: CodeUnits) -> None:
        self._code_units.update(message.codes)
        ids = [sor_id for units in message.codes.values() for sor_id in units]
        codes = clean(", ".join(message.codes))
        if not ids:
            self.notify(f"No SOR unit carries SHAK-kode {codes}", severity="warning", markup=False)
            return
        if message.toggle and all(sor_id in self.marks for sor_id in ids):
            self.marks.remove(ids)
            self.marks_changed(ids)
            self.notify(f"Unmarked {plural(len(ids), 'unit')} with SHAK-kode {codes}", markup=False, timeout=3)
            return
        shown = (
            f"with SHAK-kode {codes}" if message.toggle else f"with the {plural(len(message.codes), 'SHAK-kode')} shown"
        )
        self._mark_all(ids, shown)
