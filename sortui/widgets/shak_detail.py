"""The SHAK detail panel: the code under the SHAK cursor, its versions, and the SOR units carrying it."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from sortui.widgets import shak_data
from sortui.widgets.guard import reports_errors
from sortui.widgets.shak_data import ShakDetails
from sortui.widgets.shak_nav import ShakPane
from sortui.widgets.shak_text import NO_SHAK, details_text, unit_label
from sortui.widgets.source import Source

HINT = "↑↓ or j k: codes   l: expand   v: history   /: filter   :: go to   a: all versions   x: checks"


class ShakUnits(OptionList):
    """The SOR units carrying the code; enter shows one in the organisation tree."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next unit", show=False, id="shak.units_down"),
        Binding("k", "cursor_up", "Previous unit", show=False, id="shak.units_up"),
        Binding("escape", "screen.shak_pane", "Back to the SHAK codes", show=False, id="shak.units_back"),
    ]


class ShakDetail(VerticalScroll, can_focus=False):
    """Follows the SHAK cursor (debounced); the unit list below the text takes the focus."""

    BORDER_TITLE = "SHAK-kode"

    class Loaded(Message):
        def __init__(self, code: str, details: ShakDetails, on: str) -> None:
            super().__init__()
            self.code = code
            self.details = details
            self.on = on

    def __init__(self, source: Source, debounce: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.debounce = debounce
        self.code: str | None = None
        self.details: ShakDetails | None = None
        self.text = Text()
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(HINT, style="dim"), id="shak-detail-body")
        yield ShakUnits(id="shak-units")

    @property
    def units(self) -> ShakUnits:
        return self.query_one(ShakUnits)

    def show_code(self, code: str | None, on: str, present: bool = True) -> None:
        """Show ``code`` after the cursor has rested for ``debounce`` seconds (None: a hint, or how to import)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if code is None:
            self.workers.cancel_group(self, "shak-detail")
            self._set(None, Text(HINT if present else NO_SHAK, style="dim" if present else ""), None, on)
        elif self.debounce <= 0:
            self._load(code, on)
        else:
            self._timer = self.set_timer(self.debounce, lambda: self._load(code, on))

    @work(thread=True, exclusive=True, group="shak-detail")
    @reports_errors
    def _load(self, code: str, on: str) -> None:
        worker = get_current_worker()
        with self.source.connection() as conn:
            details = shak_data.details(conn, code, on)
        if not worker.is_cancelled:
            self.post_message(self.Loaded(code, details, on))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        self._set(message.code, details_text(message.details, message.on), message.details, message.on)

    def _set(self, code: str | None, text: Text, details: ShakDetails | None, on: str) -> None:
        self.code, self.details, self.text = code, details, text
        self.query_one("#shak-detail-body", Static).update(text)
        units = self.units
        units.clear_options()
        nodes = details.units if details else []
        units.add_options([Option(unit_label(n, on), id=n.sor_id) for n in nodes])
        units.display = bool(nodes)
        if nodes:
            units.highlighted = 0
        self.scroll_home(animate=False)

    def focus_units(self) -> bool:
        """Focus the unit list; False when the code has no units."""
        if not self.units.option_count:
            return False
        self.units.focus()
        return True

    @on(OptionList.OptionSelected, "#shak-units")
    def _unit_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(ShakPane.ShowUnit(event.option.id))
