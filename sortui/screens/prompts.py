"""Small modal prompts: go to a key, set the view date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from sortui.widgets.form import SafeInput

# A check of the typed value: an error message, or None when it is fine.
Check = Callable[[str], str | None]


class PromptScreen(ModalScreen[str | None]):
    """One line of input; enter answers (if the check passes), escape cancels."""

    HELP_TITLE = "Prompt"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="prompt.cancel"),
    ]

    def __init__(self, title: str, hint: str, value: str = "", check: Check | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.value = value
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static(Text(self.title_text, style="bold"), id="prompt-title")
            field = SafeInput(value=self.value, id="prompt-input")
            field.cursor_blink = False
            yield field
            yield Static(Text(self.hint, style="dim"), id="prompt-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        problem = self.check(value) if self.check else None
        if problem:
            self.query_one("#prompt-hint", Static).update(Text(problem, style="bold"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def parse_view_date(value: str, today: date | None = None) -> str | None:
    """An ISO date from what was typed: YYYY-MM-DD, or empty / "today" for today; None if not a date."""
    value = value.strip().lower()
    if value in ("", "today", "idag", "i dag"):
        return (today or date.today()).isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def check_date(value: str) -> str | None:
    return None if parse_view_date(value) else f"{value!r} is not a date: type YYYY-MM-DD, or nothing for today"


def goto_prompt() -> PromptScreen:
    return PromptScreen(
        "Go to",
        "SOR-kode, lokationsnummer (GLN), SHAK-kode or ydernummer; prefix sor:, gln:, shak: or yder:",
        check=lambda v: None if v else "type a SOR-kode, GLN, SHAK-kode or ydernummer",
    )


def date_prompt(current: str) -> PromptScreen:
    return PromptScreen("View the register on", "YYYY-MM-DD; empty for today", current, check_date)
