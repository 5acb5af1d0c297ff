"""The SHAK tab of the main screen: switching tabs, following the SHAK cursor, jumping between SHAK and SOR,
and opening the screens the SHAK pane asks for (the go-to prompt, a code's history).

``MainScreen`` derives from ``ShakScreen``; it composes ``PaneTabs`` over a
``ContentSwitcher`` with the organisation tree (id ``ORGANISATION_TAB``) and the
``ShakPane`` (id ``SHAK_TAB``), and a ``ShakDetail`` beside its detail panel. The
screen has the class ``-shak`` while the SHAK tab is shown (the stylesheet swaps
the detail panels).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import ContentSwitcher

from sortui.widgets.org_tree import OrgTree
from sortui.widgets.pane_tabs import PaneTabs
from sortui.widgets.shak_data import normalise_code
from sortui.widgets.shak_detail import ShakDetail
from sortui.widgets.shak_nav import ShakPane
from sortui.widgets.shak_tree import ShakTree
from sortui.widgets.source import Source

ORGANISATION_TAB = "tree"  # ids of the panes in the switcher
SHAK_TAB = "shak"
TABS = [(ORGANISATION_TAB, "Organisation"), (SHAK_TAB, "SHAK")]


class ShakScreen(Screen[None]):
    """The SHAK part of the main screen (``visit_unit``, ``visit_code`` and ``record_code_visit``: the
    navigation's, ``_resolve``: the main screen's)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "shak_pane", "SHAK navigator", show=False, id="app.shak"),
        Binding("o", "organisation_pane", "Organisation tree", show=False, id="app.organisation"),
        Binding("S", "unit_shak", "The SHAK-kode of the unit under the tree's cursor", show=False, id="app.unit_shak"),
    ]

    source: Source
    view_date: str
    _shak_opened = False  # the SHAK tab was shown once for a working copy with SHAK codes only

    def visit_unit(self, sor_id: str) -> None:
        raise NotImplementedError

    def visit_code(self, code: str) -> None:
        raise NotImplementedError

    def record_code_visit(self, code: str) -> None:
        raise NotImplementedError

    def _resolve(self, key: str) -> Any:
        raise NotImplementedError

    @property
    def shak_pane(self) -> ShakPane:
        return self.query_one(ShakPane)

    @property
    def shak_detail(self) -> ShakDetail:
        return self.query_one(ShakDetail)

    # -- tabs ---------------------------------------------------------------------------

    def show_tab(self, tab: str) -> None:
        self.query_one("#left-panes", ContentSwitcher).current = tab
        self.query_one(PaneTabs).active = tab
        self.set_class(tab == SHAK_TAB, "-shak")
        tree = self.query_one(OrgTree)
        if tab == ORGANISATION_TAB and tree.cursor_node is not None:  # moved while hidden: in view once shown
            tree.call_after_refresh(tree.scroll_to_node, tree.cursor_node, animate=False)

    def on_mount(self) -> None:
        self.call_after_refresh(self._show_tab_keys)

    def _show_tab_keys(self) -> None:
        """The keys of the tabs (as the keymap has them) beside their titles."""
        actions = {"organisation_pane": ORGANISATION_TAB, "shak_pane": SHAK_TAB}
        keys = {
            actions[active.binding.action]: self.app.get_key_display(active.binding)
            for active in self.active_bindings.values()
            if active.binding.action in actions
        }
        self.query_one(PaneTabs).keys = keys

    def shak_shown(self) -> bool:
        return self.has_class("-shak")

    def action_shak_pane(self) -> None:
        self.shak_pane.start()  # shown before the main screen asked it to read its top level
        self.show_tab(SHAK_TAB)
        self.shak_pane.focus_view()

    def action_organisation_pane(self) -> None:
        self.show_tab(ORGANISATION_TAB)
        self.query_one(OrgTree).focus()

    @on(PaneTabs.Chosen)
    def _tab_chosen(self, message: PaneTabs.Chosen) -> None:
        if message.tab == SHAK_TAB:
            self.action_shak_pane()
        else:
            self.action_organisation_pane()

    def shak_view_changed(self) -> None:
        """The view date changed: the SHAK pane follows it."""
        self.shak_pane.set_view_date(self.view_date)

    # -- SHAK → SOR and back -------------------------------------------------------------------

    def action_unit_shak(self) -> None:
        item = self.query_one(OrgTree).cursor_item()
        node = item.node if item else None
        if node is None:
            self.notify("No unit under the cursor", severity="warning", markup=False)
        elif not node.shak_code:
            self.notify(f"{node.name} has no SHAK-kode", severity="warning", markup=False)
        else:
            self.visit_code(node.shak_code)

    @on(ShakPane.ShowUnit)
    def _show_unit(self, message: ShakPane.ShowUnit) -> None:
        self.visit_unit(message.sor_id)  # first: the visit leaves the code under the SHAK cursor

    @on(ShakPane.GotoElsewhere)
    def _goto_elsewhere(self, message: ShakPane.GotoElsewhere) -> None:
        self._resolve(message.key)

    @on(ShakPane.GotoAsked)
    def _shak_goto_asked(self) -> None:
        from sortui.screens.prompts import goto_prompt

        def chosen(value: str | None) -> None:
            if value:
                code = normalise_code(value)
                if code:  # a SHAK-kode: a visit (anything else goes to the organisation tree as one)
                    self.record_code_visit(code)
                self.shak_pane.goto(value)

        self.app.push_screen(goto_prompt(), chosen)

    @on(ShakPane.HistoryAsked)
    def _shak_history_asked(self, message: ShakPane.HistoryAsked) -> None:
        from sortui.screens.shak_history import ShakHistoryScreen

        self.app.push_screen(ShakHistoryScreen(self.source, message.code, self.shak_pane.view.on))

    @on(ShakPane.Highlighted)
    def _shak_highlighted(self, message: ShakPane.Highlighted) -> None:
        self.shak_detail.show_code(message.code, self.shak_pane.view.on, message.present)

    @on(ShakPane.FocusUnits)
    def _focus_units(self) -> None:
        if not self.shak_detail.focus_units():
            self.notify("No SOR unit carries this code", severity="warning", markup=False, timeout=3)

    @on(ShakTree.RootLoaded)
    def _shak_loaded(self, message: ShakTree.RootLoaded) -> None:
        if message.present and not message.has_sor and not self._shak_opened:
            self._shak_opened = True
            self.action_shak_pane()
