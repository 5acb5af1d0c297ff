"""The SHAK detail panel: the code under the SHAK cursor, its versions, and the SOR units carrying it."""

from __future__ import annotations

import sqlite3
from collections.abc import Container
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sortui.store.queries import Node
from sortui.widgets import shak_data
from sortui.widgets.debounced import DebouncedLoad
from sortui.widgets.marks import marked_prefix
from sortui.widgets.safe import Fitted
from sortui.widgets.shak_data import ShakDetails
from sortui.widgets.shak_nav import ShakPane
from sortui.widgets.shak_text import NO_SHAK, details_text, unit_label
from sortui.widgets.source import Source

HINT = (
    "↑↓ or j k: codes   enter: the unit carrying it   l: expand   v: history   /: filter   :: go to   "
    "a: all versions   x: checks"
)

Code = tuple[str, ShakDetails, str]  # the code, what the working copy has on it, the view date


def read_code(conn: sqlite3.Connection, code: str, on: str) -> Code:
    return code, shak_data.details(conn, code, on), on


class ShakUnits(OptionList):
    """The SOR units carrying the code; enter shows one in the organisation tree."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next unit", show=False, id="shak.units_down"),
        Binding("k", "cursor_up", "Previous unit", show=False, id="shak.units_up"),
        Binding("escape", "screen.shak_pane", "Back to the SHAK-koder", show=False, id="shak.units_back"),
    ]


class ShakDetail(DebouncedLoad[Code], VerticalScroll, can_focus=False):
    """Follows the SHAK cursor (debounced); the unit list below the text takes the focus."""

    BORDER_TITLE = "SHAK-kode"

    def __init__(self, source: Source, debounce: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.debounce = debounce
        self.code: str | None = None
        self.details: ShakDetails | None = None
        self.text = Text()
        self.marked: Container[str] = frozenset()  # SOR ids the user marked (the main screen's ``marks``)
        self._on = ""  # the date the unit list was drawn for

    def compose(self) -> ComposeResult:
        yield Static(Text(HINT, style="dim"), id="shak-detail-body")
        yield ShakUnits(id="shak-units")

    @property
    def units(self) -> ShakUnits:
        return self.query_one(ShakUnits)

    def show_code(self, code: str | None, on: str, present: bool = True) -> None:
        """Show ``code`` after the cursor has rested for ``debounce`` seconds (None: a hint, or how to import)."""
        if code is None:
            self.cancel_load()
            self._set(None, Text(HINT if present else NO_SHAK, style="dim" if present else ""), None, on)
        else:
            self.load_later(partial(read_code, code=code, on=on))

    def loaded(self, result: Code) -> None:
        code, details, on = result
        self._set(code, details_text(details, on), details, on)

    def _set(self, code: str | None, text: Text, details: ShakDetails | None, on: str) -> None:
        self.code, self.details, self.text = code, details, text
        self.query_one("#shak-detail-body", Static).update(text)
        units = self.units
        units.clear_options()
        nodes = details.units if details else []
        self._on = on
        units.add_options([Option(self._unit_text(n), id=n.sor_id) for n in nodes])
        units.display = bool(nodes)
        if nodes:
            units.highlighted = 0
        self.scroll_home(animate=False)

    def _unit_text(self, node: Node) -> Fitted:
        return Fitted(marked_prefix(node.sor_id in self.marked).append_text(unit_label(node, self._on)))

    def relabel_units(self, sor_ids: Container[str]) -> None:
        """Draw the units of ``sor_ids`` in the list again (their marks changed)."""
        for index, node in enumerate(self.details.units if self.details else []):
            if node.sor_id in sor_ids:
                self.units.replace_option_prompt_at_index(index, self._unit_text(node))

    def focus_units(self) -> bool:
        """Focus the unit list; False when the code has no units."""
        if not self.units.option_count:
            return False
        self.units.focus()
        self._keep_in_view(self.units.highlighted or 0)
        return True

    @on(OptionList.OptionHighlighted, "#shak-units")
    def _unit_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.units.has_focus:  # the user moves in the list; a code just shown stays at its top
            self._keep_in_view(event.option_index)

    def _keep_in_view(self, index: int) -> None:
        """Scroll the panel so the unit under the list's cursor shows (the list is part of the panel)."""
        line = self.units.virtual_region.y + index
        self.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True)

    @on(OptionList.OptionSelected, "#shak-units")
    def _unit_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(ShakPane.ShowUnit(event.option.id))
