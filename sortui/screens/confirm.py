"""A confirmation for destructive or wide actions: what will happen (with, for a bulk change, the list of
what it changes, scrolled with j/k), then y (or enter) / n (or esc)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class ItemList(VerticalScroll):
    """What a bulk change changes, a line each."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="confirm.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="confirm.up"),
    ]


class ConfirmScreen(ModalScreen[bool]):
    """Answers True (confirmed) or False. The body is rich Text, never markup; ``items`` (lines) are
    listed below it, scrollable."""

    HELP_TITLE = "Confirm"

    HELP = "Confirm (y or enter) or cancel (n or esc) what the text says; a list of what changes scrolls with j/k."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: Text | str, yes: str = "yes", items: list[Text] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else Text(body)
        self.yes = yes
        self.items = items or []

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(Text(self.title_text, style="bold"), id="confirm-title")
            yield Static(self.body, id="confirm-body")
            if self.items:
                with ItemList(id="confirm-items"):
                    yield Static(Text("\n").join(self.items), id="confirm-items-body")
            keys = Text.assemble(("y", "bold"), f" {self.yes}   ", ("n", "bold"), " / ", ("esc", "bold"), " cancel")
            if self.items:
                keys.append("   ↑↓ j k: the list", style="dim")
            yield Static(keys, id="confirm-keys")

    def on_mount(self) -> None:
        if self.items:
            self.query_one(ItemList).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
