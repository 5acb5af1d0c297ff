"""Help for the focused pane: its keys with their descriptions, then the keys that work everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sortui.widgets.text_sections import Row, append_section


@dataclass(frozen=True, slots=True)
class HelpSection:
    title: str
    rows: list[tuple[str, str]]  # (keys, description)


def help_text(intro: str, sections: list[HelpSection]) -> Text:
    t = Text()
    t.append(f"{intro}\n", style="dim")
    for section in sections:
        append_section(t, section.title, [Row(keys, description) for keys, description in section.rows], indent="  ")
    return t


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help", show=False, id="help.close"),
        Binding("j,down", "scroll('down')", "Scroll down", show=False, id="help.down"),
        Binding("k,up", "scroll('up')", "Scroll up", show=False, id="help.up"),
    ]

    def __init__(self, title: str, intro: str, sections: list[HelpSection]) -> None:
        super().__init__()
        self.help_title = title
        self.text = help_text(intro, sections)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = self.help_title
            box.border_subtitle = "esc close"
            yield Static(self.text, id="help-body")

    def action_scroll(self, direction: str) -> None:
        box = self.query_one("#help", VerticalScroll)
        if direction == "down":
            box.scroll_down(animate=False)
        else:
            box.scroll_up(animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
