"""Help for the focused pane: its keys with their descriptions, then the keys that work everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from sortui.screens.text_modal import TextModal, scroll_bindings
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


class HelpScreen(TextModal):
    BOX_ID = "help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help", show=False, id="help.close"),
        *scroll_bindings("help"),
    ]

    def __init__(self, title: str, intro: str, sections: list[HelpSection]) -> None:
        super().__init__(title, help_text(intro, sections))

    @property
    def help_title(self) -> str:
        return self.box_title
