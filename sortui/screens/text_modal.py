"""A modal box of text that scrolls (the help, a SHAK-kode's history): j/k or the arrows scroll it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def scroll_bindings(prefix: str) -> list[Binding]:
    """The scrolling keys, with ids ``<prefix>.down`` and ``<prefix>.up``."""
    return [
        Binding("j,down", "scroll('down')", "Scroll down", show=False, id=f"{prefix}.down"),
        Binding("k,up", "scroll('up')", "Scroll up", show=False, id=f"{prefix}.up"),
    ]


class TextModal(ModalScreen[None]):
    """Subclasses name the box (``BOX_ID``; its text is ``<BOX_ID>-body``) and bind their keys to ``dismiss``."""

    BOX_ID: ClassVar[str]

    def __init__(self, title: str, text: Text | None = None) -> None:
        """``text`` None: "loading…" until ``show_text``."""
        super().__init__()
        self.box_title = title
        self.text = text if text is not None else Text()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id=self.BOX_ID) as box:
            box.border_title = self.box_title
            box.border_subtitle = "esc close"
            yield Static(self.text or Text("loading…", style="dim"), id=f"{self.BOX_ID}-body")

    def show_text(self, text: Text) -> None:
        self.text = text
        self.query_one(f"#{self.BOX_ID}-body", Static).update(text)

    def action_scroll(self, direction: str) -> None:
        box = self.query_one(f"#{self.BOX_ID}", VerticalScroll)
        if direction == "down":
            box.scroll_down(animate=False)
        else:
            box.scroll_up(animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
