"""A modal list to pick one value from: type to filter, arrows (or, in the list, j/k) to move, enter
to pick, esc to cancel.

Used for code lists (every coded field), the MedCom message catalogue and small choices. Labels are
rich Text, never markup. ``set_choices`` replaces the choices while the picker is open (counts
computed meanwhile).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from sortui.widgets.edit_data import Choice, matches
from sortui.widgets.form import SafeInput
from sortui.widgets.safe import Fitted, clean


def choice_text(choice: Choice) -> Text:
    t = Text("✓ " if choice.marked else "  ", style="bold")
    t.append(clean(choice.label))
    if choice.detail:
        t.append(f"  {clean(choice.detail)}", style="dim")
    return t


class PickList(OptionList):
    """The choices; j/k move, / goes back to the filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next", show=False, id="picker.list_down"),
        Binding("k", "cursor_up", "Previous", show=False, id="picker.list_up"),
        Binding("g", "first", "First", show=False, id="picker.list_first"),
        Binding("G", "last", "Last", show=False, id="picker.list_last"),
        Binding("slash", "screen.focus_filter", "Type to filter", show=False, id="picker.list_filter"),
    ]


class PickerScreen(ModalScreen[str | None]):
    """Answers the picked choice's value, or None (esc)."""

    HELP_TITLE = "Pick a value"

    HELP = "Pick one: type to filter (every word typed must occur), arrows or j/k in the list move, enter picks."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="picker.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="picker.up"),
        Binding("tab", "toggle_focus", "Between the filter and the list", show=False, id="picker.tab"),
    ]

    def __init__(
        self, title: str, choices: list[Choice], hint: str = "", filterable: bool = True, start: int = 0
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.hint = hint
        self.filterable = filterable
        self.start = start  # where the cursor starts (the choice made already)
        self.shown: list[Choice] = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="" if self.filterable else "-small"):
            yield Static(Text(self.title_text, style="bold"), id="picker-title")
            if self.filterable:
                field = SafeInput(placeholder="type to filter", id="picker-filter")
                field.cursor_blink = False
                yield field
            yield PickList(id="picker-list")
            filtering = "type to filter · ↑↓ (tab: the list, j k) · enter pick · esc cancel"
            hint = self.hint or (filtering if self.filterable else "↑↓ or j k · enter pick · esc cancel")
            yield Static(Text(hint, style="dim"), id="picker-hint")

    def on_mount(self) -> None:
        self._fill("", self.start)
        if not self.filterable:
            self.query_one(OptionList).focus()

    @property
    def options(self) -> OptionList:
        return self.query_one("#picker-list", OptionList)

    def _fill(self, typed: str, keep: int | None = None) -> None:
        self.shown = [c for c in self.choices if matches(c, typed)]
        self.options.clear_options()
        self.options.add_options([Option(Fitted(choice_text(c))) for c in self.shown])
        if self.shown:
            self.options.highlighted = min(keep or 0, len(self.shown) - 1)
        self.query_one("#picker-title", Static).update(
            Text.assemble((self.title_text, "bold"), (f"  {len(self.shown)} of {len(self.choices)}", "dim"))
        )

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick(self.options.highlighted)

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.shown):
            self.dismiss(self.shown[index].value)

    def action_move(self, step: int) -> None:
        if self.shown:
            current = self.options.highlighted or 0
            self.options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_toggle_focus(self) -> None:
        if self.filterable and self.options.has_focus:
            self.action_focus_filter()
        else:
            self.options.focus()

    def action_focus_filter(self) -> None:
        if self.filterable:
            self.query_one("#picker-filter", SafeInput).focus()

    def set_choices(self, choices: list[Choice]) -> None:
        """Show ``choices`` instead (the filter typed and the cursor stay)."""
        self.choices = choices
        typed = self.query_one("#picker-filter", SafeInput).value if self.filterable else ""
        self._fill(typed, self.options.highlighted)
