"""Asking for the password when there is no usable token (no keyring, none stored, or it expired).

The password is only passed on to sign in; it is never stored. The token the service gives back
is kept in memory for this session (and in the system keyring when there is one).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from sortui.widgets.safe import clean

HINT = "enter signs in · esc cancels (edits stay pending). The password is not stored."


class LoginScreen(ModalScreen[str | None]):
    """Answers the password typed (masked), or None when cancelled."""

    HELP_TITLE = "Sign in"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False, id="login.cancel"),
    ]

    def __init__(self, user: str, where: str, reason: str) -> None:
        super().__init__()
        self.user = user
        self.where = where
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="login"):
            yield Static(Text(f"Sign in to {clean(self.where)}", style="bold"), id="login-title")
            yield Static(Text(clean(self.reason)), id="login-reason")
            yield Static(Text.assemble("Password of ", (clean(self.user), "bold"), ":"), id="login-user")
            field = Input(password=True, id="login-password")
            field.cursor_blink = False
            yield field
            yield Static(Text(HINT, style="dim"), id="login-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.query_one("#login-hint", Static).update(Text("Type the password (or esc to cancel)", style="bold"))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
