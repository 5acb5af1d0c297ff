"""A confirmation for destructive or wide actions: what will happen, then y (or enter) / n (or esc)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    """Answers True (confirmed) or False. The body is rich Text, never markup."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: Text | str, yes: str = "yes") -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else Text(body)
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(Text(self.title_text, style="bold"), id="confirm-title")
            yield Static(self.body, id="confirm-body")
            keys = Text.assemble(("y", "bold"), f" {self.yes}   ", ("n", "bold"), " / ", ("esc", "bold"), " cancel")
            yield Static(keys, id="confirm-keys")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
